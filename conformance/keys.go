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
	return new(keyer).keys(res)
}

// keyer is ModelKeys' memory, which keys reuses from one run to the next:
// Replayable takes the keys of every perturbed run of a scenario, and
// built afresh they were a tenth of check --matrix's allocation.
type keyer struct {
	// calls groups the message-producing calls by interned source.
	calls grouping[model.Str, model.CallRecord]
	out   map[int]Key
	inbox map[model.Str]Key
	// names holds MessageKey(src, n) at names[src][n]: the same strings
	// for every run of a scenario, made once.
	names map[string][]Key
}

// keys is ModelKeys(res) in k's memory: the map it returns is valid until
// k keys another run.
func (k *keyer) keys(res *model.Result) map[int]Key {
	if k.out == nil {
		k.out, k.inbox, k.names = map[int]Key{}, map[model.Str]Key{}, map[string][]Key{}
	}
	clear(k.out)
	clear(k.inbox)
	by, sources := k.calls.group(res.Calls(), func(c *model.CallRecord) (model.Str, bool) {
		return c.Source, producesMessage(res.Str(c.Verb))
	})
	for _, id := range sources {
		calls, src := by[id], res.Str(id)
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
		names := k.names[src]
		for n := len(names); n < len(calls); n++ {
			names = append(names, MessageKey(src, n))
		}
		k.names[src] = names
		for n, c := range calls {
			if c.Msg != 0 {
				k.out[c.Msg] = names[n]
			}
		}
	}
	// No-responders statuses answer the request whose reply inbox they go to.
	for id, key := range k.out {
		if m := res.Ledger.Message(id); m.Reply != 0 {
			k.inbox[m.Reply] = key
		}
	}
	for i := range res.Ledger.Messages {
		m := &res.Ledger.Messages[i]
		if m.Status == 503 {
			k.out[m.ID] = "503<" + k.inbox[m.Subject] + ">"
		}
	}
	return k.out
}
