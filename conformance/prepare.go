package conformance

import (
	"fmt"
	"slices"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Prepare returns a copy of sc with every scenario time and duration
// multiplied by scale, ready to be run both by the model and by a real
// nats.go + nats-server stack in real time. It refuses what a real run
// cannot reproduce exactly: a profile without a real counterpart, drawn (non-constant)
// durations, pending byte limits (the real runner tags each message with a
// header, which nats.go counts in pending bytes), a no_responders setting
// the library does not have, and several concurrent requests from one action
// (count > 1 with interval 0: their order on the wire is not determined).
//
// What is not scaled are nats.go's own constants — the 10 ms connection
// drain poll, the 100 ms subscription drain poll, the 10 s drain barrier and
// 5 s final flush — and a DrainTimeout left to the library's default (30 s):
// both sides use them unchanged, so a scaled scenario is a different but
// equally valid scenario, run identically by the model and the real stack.
func Prepare(sc *scenario.Scenario, scale float64) (*scenario.Scenario, error) {
	if !(scale > 0 && scale <= 1) {
		return nil, fmt.Errorf("%s: scale %v: want a factor in (0, 1]", sc.Name, scale)
	}
	return prepare(sc, scale)
}

// prepare is Prepare for any positive scale: PrepareCluster scales up.
func prepare(sc *scenario.Scenario, scale float64) (*scenario.Scenario, error) {
	if err := supported(sc); err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Name, err)
	}
	// A round trip through the file format is a deep copy.
	cp, err := scenario.Parse(sc.File, sc.Marshal())
	if err != nil {
		return nil, fmt.Errorf("%s: copying the scenario: %w", sc.Name, err)
	}
	cp.File = sc.File
	s := scaler(scale)
	cp.Limits.MaxTime = s.d(cp.Limits.MaxTime)
	s.dist(&cp.Network.Latency)
	for i := range cp.Clients {
		c := &cp.Clients[i]
		s.ptr(c.DrainTimeout)
		s.ptr(c.ReconnectWait)
		s.ptr(c.PingInterval)
		s.ptr(c.OfflineUntil)
	}
	for i := range cp.Subs {
		h := &cp.Subs[i].Handler
		s.dist(&h.Duration)
		for j := range h.Actions {
			a := &h.Actions[j]
			switch {
			case a.Publish != nil:
				a.Publish.Interval = s.d(a.Publish.Interval)
			case a.Request != nil:
				s.request(a.Request)
			case a.Sleep != nil:
				s.dist(a.Sleep)
			case a.DrainSub != nil:
				s.ptr(a.DrainSub.Timeout)
			}
		}
	}
	for i := range cp.Actions {
		a := &cp.Actions[i]
		a.At = s.d(a.At)
		if a.After != nil {
			a.After.Delay = s.d(a.After.Delay)
		}
		switch {
		case a.Publish != nil:
			a.Publish.Interval = s.d(a.Publish.Interval)
		case a.Request != nil:
			s.request(a.Request)
		case a.Flush != nil:
			a.Flush.Timeout = s.d(a.Flush.Timeout)
		case a.DrainSub != nil:
			s.ptr(a.DrainSub.Timeout)
		case a.NextMsg != nil:
			a.NextMsg.Timeout = s.d(a.NextMsg.Timeout)
		case a.Disconnect != nil:
			a.Disconnect.For = s.d(a.Disconnect.For)
		case a.Stall != nil:
			a.Stall.For = s.d(a.Stall.For)
		case a.RestartServer != nil:
			a.RestartServer.For = s.d(a.RestartServer.For)
		}
	}
	return cp, nil
}

// counterpart is a real client library a profile is checked against.
type counterpart struct {
	library string
	// noResponders: the library asks the server for no-responders
	// statuses (it needs headers).
	noResponders bool
	// bandwidth: the library is checked with a network.bandwidth, which
	// its links carry (nats.go: the virtual link and the real-time relay).
	// The drivers' libraries are not yet: their profiles' sizes on the
	// wire are unchecked.
	bandwidth bool
}

// counterparts maps each profile that has a real counterpart here (in
// process for go, through a driver for the others) to its library.
var counterparts = map[string]counterpart{
	"go":      {"nats.go", true, true},
	"go-1.53": {"nats.go v1.53", true, true},
	"c-3.4":   {"nats.c 3.4", true, false},
	"node-v1": {"node-nats v1", false, false},
	"natsjs":  {"nats.js v2", true, false},
	"python":  {"nats.py", true, false},
	"ruby-em": {"ruby-nats", false, false},
	"java":    {"nats.java", true, false},
}

// CheckedProfiles lists, sorted, the profiles that have a real counterpart.
func CheckedProfiles() []string {
	var out []string
	for p := range counterparts {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// supported reports the first feature of sc that a real run cannot
// reproduce exactly.
func supported(sc *scenario.Scenario) error {
	lib, ok := counterparts[sc.Profile]
	if !ok {
		return fmt.Errorf("profile %q: no real counterpart here (profiles checked against their library: %v)", sc.Profile, CheckedProfiles())
	}
	if sc.Server.NoResponders != lib.noResponders {
		if lib.noResponders {
			return fmt.Errorf("server.no_responders false: %s always asks for no-responders", lib.library)
		}
		return fmt.Errorf("server.no_responders true: %s has no headers and never asks for no-responders; set server.no_responders: false", lib.library)
	}
	if sc.Network.Bandwidth != 0 && lib.bandwidth {
		return playableWithBandwidth(sc)
	}
	return sc.Playable()
}

// playableWithBandwidth is scenario.Playable for a library whose links
// carry a bandwidth: the rest of what Playable asks, and no reconnection.
// The virtual link's handshake takes no time (see vconn), while the
// model's carries CONNECT and INFO (482 bytes) at the bandwidth: at
// 100KB/s that alone is 4.8 ms. Server backlog policies (max_pending,
// no_fast_producer_stall) stay refused by Playable: the links buffer
// without limit, so the server's pending bytes never build.
func playableWithBandwidth(sc *scenario.Scenario) error {
	for i, a := range sc.Actions {
		if a.Disconnect != nil || a.RestartServer != nil {
			return fmt.Errorf("actions[%d]: a reconnection with network.bandwidth: the virtual link's handshake takes no time, the model's carries CONNECT and INFO at the bandwidth", i)
		}
	}
	cp := *sc
	cp.Network.Bandwidth = 0
	return cp.Playable()
}

// scaler multiplies durations by a factor.
type scaler float64

func (s scaler) d(d time.Duration) time.Duration {
	return time.Duration(float64(d) * float64(s))
}

func (s scaler) ptr(d *time.Duration) {
	if d != nil {
		*d = s.d(*d)
	}
}

func (s scaler) dist(d *sim.Dist) {
	d.A, d.B = s.d(d.A), s.d(d.B)
}

func (s scaler) request(r *scenario.Request) {
	r.Timeout = s.d(r.Timeout)
	r.Interval = s.d(r.Interval)
}
