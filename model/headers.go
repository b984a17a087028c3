package model

import (
	"strconv"

	"github.com/drainsim/drainsim/model/scenario"
)

// Message headers (scenario publish headers: N, issue 16 item 3). A
// message's headers are N bytes of encoded header block. They go on the
// wire (HPUB and HMSG instead of PUB and MSG), count toward max_payload
// with the data, and, where Profile.PendingCountsHeaders says so (nats.go
// v1.55.0), toward a subscription's pending bytes: v1.55.0's Msg.pendingSize is data plus encoded headers,
// while v1.53.1 and v1.54.0 count len(m.Data) (processMsg, and the
// decrements after a callback, NextMsg and removal).

// pendingSize is what m adds to a subscription's pending bytes under p.
func pendingSize(p *Profile, m *Message) int {
	if p.PendingCountsHeaders {
		return m.Size + m.Headers
	}
	return m.Size
}

// headerWireSize is what headers of hdr bytes add to a PUB or MSG of size
// data bytes on the wire: the H of HPUB or HMSG, the header length and its
// space, the total length in place of the data length, and the header
// block itself.
func headerWireSize(size, hdr int) int {
	if hdr == 0 {
		return 0
	}
	return len("H") + len(strconv.Itoa(hdr)) + len(" ") + len(strconv.Itoa(size+hdr)) - len(strconv.Itoa(size)) + hdr
}

// checkHeadersAPI refuses publish headers under a profile p of another
// library than nats.go: only nats.go's counting is modelled.
func checkHeadersAPI(sc *scenario.Scenario, p *Profile) error {
	// The message is made only for a refusal: made up front, it was one
	// of the larger allocations of a check scenario, on every run.
	refuse := func(line int, field string) error {
		return &scenario.Error{File: sc.File, Line: line, Field: field,
			Msg: "profile " + p.Name + " (" + p.Library + ") has no model of message headers (only nats.go's); leave headers out"}
	}
	for i := range sc.Actions {
		if a := &sc.Actions[i]; a.Publish != nil && a.Publish.Headers != 0 {
			return refuse(a.Line, "actions["+strconv.Itoa(i)+"].publish.headers")
		}
	}
	for i := range sc.Subs {
		for j, a := range sc.Subs[i].Handler.Actions {
			if a.Publish != nil && a.Publish.Headers != 0 {
				return refuse(a.Line, "subscriptions["+strconv.Itoa(i)+"].handler.actions["+strconv.Itoa(j)+"].publish.headers")
			}
		}
	}
	return nil
}
