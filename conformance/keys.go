package conformance

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/drainsim/drainsim/model"
)

// Key names a message independently of the order in which messages were
// numbered: the source of the call that published it (an action,
// "actions[3]", or a callback, "s1#2"), a slash and the call's position
// among that source's publish, request and reply calls ("actions[3]/0" is
// the first message of action 3). The real runner carries the key in a
// message header; the model's message IDs are translated with ModelKeys.
// A no-responders status answering the request with key k is "503<k>".
type Key = string

// MessageKey returns the key of the n-th (0-based) message-producing call
// of source.
func MessageKey(source string, n int) Key {
	return source + "/" + strconv.Itoa(n)
}

// producesMessage reports whether a call with this verb publishes a message.
func producesMessage(verb string) bool {
	return verb == "publish" || verb == "request" || verb == "reply"
}

// ModelKeys maps the model's message IDs to keys. Within a source, calls
// are ranked in the order the source made them: by start time, then by
// return time (a source's calls are sequential), then by the ID of the
// message each published, and otherwise as recorded. A call that published
// nothing (a request refused while draining) takes its rank too, as in a
// real run, where every message-producing call takes the next key.
func ModelKeys(res *model.Result) map[int]Key {
	// The message-producing calls of each source, in record order, cut
	// from one array by a count of each source's calls (as bySource
	// does): grown call by call, they were most of what ModelKeys
	// allocated, and Replayable takes the keys of every variant run.
	count := map[model.Str]int{} // by the interned source: one id a string
	var sources []model.Str
	total := 0
	for i := range res.Calls {
		if c := &res.Calls[i]; producesMessage(res.Str(c.Verb)) {
			if count[c.Source] == 0 {
				sources = append(sources, c.Source)
			}
			count[c.Source]++
			total++
		}
	}
	bySource := make(map[model.Str][]model.CallRecord, len(sources))
	all, off := make([]model.CallRecord, total), 0
	for _, src := range sources {
		bySource[src] = all[off : off : off+count[src]]
		off += count[src]
	}
	for i := range res.Calls {
		if c := &res.Calls[i]; producesMessage(res.Str(c.Verb)) {
			bySource[c.Source] = append(bySource[c.Source], *c)
		}
	}
	keys := make(map[int]Key, off)
	for _, id := range sources {
		calls, src := bySource[id], res.Str(id)
		slices.SortStableFunc(calls, func(a, b model.CallRecord) int {
			if a.At != b.At {
				return cmp.Compare(a.At, b.At)
			}
			if a.ReturnedAt != b.ReturnedAt {
				return cmp.Compare(a.ReturnedAt, b.ReturnedAt)
			}
			if a.Msg != 0 && b.Msg != 0 {
				return cmp.Compare(a.Msg, b.Msg)
			}
			return 0
		})
		for n, c := range calls {
			if c.Msg != 0 {
				keys[c.Msg] = MessageKey(src, n)
			}
		}
	}
	// No-responders statuses answer the request whose reply inbox they go to.
	inbox := map[model.Str]Key{}
	for id, k := range keys {
		if m := res.Ledger.Message(id); m.Reply != 0 {
			inbox[m.Reply] = k
		}
	}
	for i := range res.Ledger.Messages {
		m := &res.Ledger.Messages[i]
		if m.Status == 503 {
			keys[m.ID] = "503<" + inbox[m.Subject] + ">"
		}
	}
	return keys
}
