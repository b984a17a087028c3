package scenario

import (
	"fmt"

	"github.com/drainsim/drainsim/sim"
)

// Playable reports the first feature of s that a real client library and
// nats-server cannot reproduce exactly, nil when there is none. A real run
// (package conformance) plays every time and duration as given, so drawn
// (non-constant) durations cannot be matched; its relays have no bandwidth
// limit, so server backlog cannot build; each message carries a key that
// some libraries count in their pending bytes (unless every message
// declares its headers, which then hold the key: keysDeclared); several
// requests made by one action at the same instant reach the wire in no
// determined order; and the relays do not cut links between servers
// (cut_link).
// Library-specific limits (no-responders, a profile without a real
// counterpart) are the conformance package's to check.
func (s *Scenario) Playable() error {
	if err := constant("network.latency", s.Network.Latency); err != nil {
		return err
	}
	if s.Network.Bandwidth != 0 || s.Server.MaxPending != 0 || s.Server.NoFastProducerStall {
		return fmt.Errorf("network.bandwidth, server.max_pending and server.no_fast_producer_stall: the relay has no bandwidth limit, so server backlog cannot be reproduced")
	}
	declared := s.keysDeclared()
	for _, c := range s.Clients {
		if c.PendingBytesLimit != nil && !declared {
			return fmt.Errorf("client %s: pending_bytes_limit: message keys count in a library's pending bytes", c.Name)
		}
	}
	for _, sub := range s.Subs {
		if sub.PendingBytesLimit != nil && !declared {
			return fmt.Errorf("subscription %s: pending_bytes_limit: message keys count in a library's pending bytes", sub.ID)
		}
		if err := constant("subscription "+sub.ID+" handler.duration", sub.Handler.Duration); err != nil {
			return err
		}
		for _, a := range sub.Handler.Actions {
			if a.Sleep != nil {
				if err := constant("subscription "+sub.ID+" handler sleep", *a.Sleep); err != nil {
					return err
				}
			}
		}
	}
	for i, a := range s.Actions {
		if r := a.Request; r != nil && r.Count > 1 && r.Interval == 0 {
			return fmt.Errorf("actions[%d]: %d requests at once: their order on the wire is not determined", i, r.Count)
		}
		if a.CutLink != nil {
			return fmt.Errorf("actions[%d]: cut_link: the real runs' relays do not cut a link between servers", i)
		}
	}
	return nil
}

// keysDeclared reports whether every message of s is a publish that
// declares its headers' size (headers:): the real run pads its key header
// into those bytes, so byte counts agree. Requests and replies carry an
// undeclared key.
func (s *Scenario) keysDeclared() bool {
	for _, a := range s.Actions {
		if a.Request != nil || a.Publish != nil && a.Publish.Headers == 0 {
			return false
		}
	}
	for _, sub := range s.Subs {
		for _, a := range sub.Handler.Actions {
			if a.Request != nil || a.Reply != nil || a.Publish != nil && a.Publish.Headers == 0 {
				return false
			}
		}
	}
	return true
}

func constant(what string, d sim.Dist) error {
	if d.Kind != sim.Constant {
		return fmt.Errorf("%s %s: a real run needs constant durations", what, d)
	}
	return nil
}
