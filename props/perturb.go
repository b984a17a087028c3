package props

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// Perturb draws from c one perturbation of sc within the bounds of sc's
// vary: section: what the real world varies around a team's own workload.
// It keeps everything the section does not name exactly as written, and
// every choice is one labelled c.IntN whose zero draw leaves its part
// unchanged, so that a chooser that returns 0 everywhere gives back sc
// itself and rapid (through RapidChooser) shrinks a failing perturbation
// towards the scenario as written. The draws, in order:
//
//   - seed: whether to take another seed, and which (other latency draws,
//     handler times drawn from their distributions, queue picks);
//   - latency: the network latency becomes uniform(lo, hi) within bounds;
//   - handler_time: per subscription it applies to, a factor in
//     [min_factor, max_factor] that scales its handler duration;
//   - tie_order: per group of top-level actions written for the same
//     time, the order they run in (the model runs them in list order);
//   - publish_jitter, drain_jitter: per publish or request, drain or
//     drain_sub action, a shift of its time (never below 0);
//   - disconnects, restarts: how many faults to add (appended to the
//     actions), and each one's time, duration and client.
//
// The result has the same clients, subscriptions and expectations as sc,
// its actions in the same places (then the added faults), and no vary:
// section: it is one concrete run. sc is not modified, but the result
// shares what it does not change with sc (clients, the fields of actions):
// treat both as read-only.
func Perturb(c sim.Chooser, sc *scenario.Scenario) *scenario.Scenario {
	out := *sc
	out.Vary = nil
	out.Subs = slices.Clone(sc.Subs)
	out.Actions = slices.Clone(sc.Actions)
	v := sc.Vary
	if v == nil {
		return &out
	}
	if v.Seed && c.IntN("seed", 2) == 1 {
		out.Seed = uint64(c.IntN("seed-value", 1<<31))
	}
	if r := v.Latency; r != nil && c.IntN("latency", 2) == 1 {
		lo := durationIn(c, "latency-lo", *r)
		hi := durationIn(c, "latency-hi", scenario.DurationRange{Min: lo, Max: r.Max})
		out.Network.Latency = sim.Dist{Kind: sim.Uniform, A: lo, B: hi}
		if lo == hi {
			out.Network.Latency = sim.Const(lo)
		}
	}
	if h := v.HandlerTime; h != nil {
		for i := range out.Subs {
			if s := &out.Subs[i]; h.Scales(s) {
				s.Handler.Duration = scaleDist(s.Handler.Duration, handlerFactor(c, "handler-time/"+s.ID, h))
			}
		}
	}
	if v.TieOrder {
		reorderTies(c, out.Actions)
	}
	for i := range out.Actions {
		a := &out.Actions[i]
		if a.After != nil {
			continue // it fires on its event: jitter moves the events, not it
		}
		label := "actions[" + strconv.Itoa(i) + "]"
		switch {
		case v.PublishJitter != nil && (a.Publish != nil || a.Request != nil):
			a.At = shifted(c, "publish-jitter/"+label, a.At, *v.PublishJitter)
		case v.DrainJitter != nil && (a.Drain != nil || a.DrainSub != nil):
			a.At = shifted(c, "drain-jitter/"+label, a.At, *v.DrainJitter)
		}
	}
	if f := v.Disconnects; f != nil {
		clients := f.Clients
		if len(clients) == 0 {
			for _, cl := range sc.Clients {
				clients = append(clients, cl.Name)
			}
		}
		for k, n := 0, c.IntN("disconnects", f.Max+1); k < n && len(clients) > 0; k++ {
			label := "disconnect[" + strconv.Itoa(k) + "]"
			at := durationIn(c, label+"-at", f.At)
			d := &scenario.Disconnect{For: durationIn(c, label+"-for", f.For), Client: clients[c.IntN(label+"-client", len(clients))]}
			out.Actions = append(out.Actions, scenario.Action{At: at, Disconnect: d})
		}
	}
	if f := v.Restarts; f != nil {
		for k, n := 0, c.IntN("restarts", f.Max+1); k < n; k++ {
			label := "restart[" + strconv.Itoa(k) + "]"
			at := durationIn(c, label+"-at", f.At)
			out.Actions = append(out.Actions, scenario.Action{At: at, RestartServer: &scenario.RestartServer{For: durationIn(c, label+"-for", f.For)}})
		}
	}
	return &out
}

// durationIn draws a duration in r, at a resolution of 1µs (1ns for a
// range narrower than that); the zero draw is r.Min.
func durationIn(c sim.Chooser, label string, r scenario.DurationRange) time.Duration {
	unit := time.Microsecond
	span := r.Max - r.Min
	if span < unit {
		unit = 1
	}
	return min(r.Max, r.Min+unit*time.Duration(c.IntN(label, int(span/unit)+1)))
}

// factorSteps is the resolution of a handler time factor: a draw k in
// [0, factorSteps] moves the factor k/factorSteps of the way from 1 to its
// bound.
const factorSteps = 100

// handlerFactor draws the factor of one subscription's handler time: 1
// for the zero draw, else slower (towards h.MaxFactor) or, when
// h.MinFactor < 1, possibly faster.
func handlerFactor(c sim.Chooser, label string, h *scenario.HandlerTimeVary) float64 {
	faster := false
	switch {
	case h.MinFactor < 1 && h.MaxFactor > 1:
		faster = c.IntN(label+"-faster", 2) == 1
	case h.MinFactor < 1:
		faster = true
	case h.MaxFactor <= 1:
		return 1
	}
	k := float64(c.IntN(label, factorSteps+1)) / factorSteps
	if faster {
		return 1 - (1-h.MinFactor)*k
	}
	return 1 + (h.MaxFactor-1)*k
}

// scaleDist multiplies the durations of d by f (no further than
// scenario.MaxDuration). Measured tables are left alone: the parser
// refuses a handler_time that would apply to one.
func scaleDist(d sim.Dist, f float64) sim.Dist {
	if f == 1 || d.Table != nil {
		return d
	}
	scale := func(x time.Duration) time.Duration {
		return time.Duration(min(float64(x)*f, float64(scenario.MaxDuration)))
	}
	d.A, d.B = scale(d.A), scale(d.B)
	return d
}

// shifted draws a shift of at within s: later, or (when s allows both)
// earlier on a draw of 1, never below 0; the zero draw is no shift.
func shifted(c sim.Chooser, label string, at time.Duration, s scenario.Shift) time.Duration {
	earlier := s.Later == 0
	if s.Earlier > 0 && s.Later > 0 {
		earlier = c.IntN(label+"-earlier", 2) == 1
	}
	if earlier {
		return max(0, at-durationIn(c, label, scenario.DurationRange{Max: s.Earlier}))
	}
	return at + durationIn(c, label, scenario.DurationRange{Max: s.Later})
}

// reorderTies draws, for each set of timed actions written for the same
// time, the order they run in (a triggered action keeps its place: other
// triggers may name it by index): the places the set holds in acts are refilled
// with its members, each pick among those not yet placed (in their
// written order), so that zero draws keep the written order.
func reorderTies(c sim.Chooser, acts []scenario.Action) {
	groups := map[time.Duration][]int{} // places of each time's actions; only indexed
	var times []time.Duration           // in the order first seen
	for i := range acts {
		if acts[i].After != nil {
			continue // triggered: it has no time to tie on, and its place is its name
		}
		if _, seen := groups[acts[i].At]; !seen {
			times = append(times, acts[i].At)
		}
		groups[acts[i].At] = append(groups[acts[i].At], i)
	}
	for _, t := range times {
		places := groups[t]
		if len(places) < 2 {
			continue
		}
		members := make([]scenario.Action, len(places))
		for k, p := range places {
			members[k] = acts[p]
		}
		label := fmt.Sprintf("tie-order/%v", t)
		for _, p := range places {
			k := c.IntN(label, len(members))
			acts[p] = members[k]
			members = slices.Delete(members, k, k+1)
		}
	}
}

// Changes lists, one line each, how p, a perturbation of sc drawn by
// Perturb, differs from sc: what a counterexample changed in the file.
// It is empty when p is sc as written.
func Changes(sc, p *scenario.Scenario) []string {
	var out []string
	if p.Seed != sc.Seed {
		out = append(out, fmt.Sprintf("seed %d -> %d", sc.Seed, p.Seed))
	}
	if p.Network.Latency != sc.Network.Latency {
		out = append(out, fmt.Sprintf("network latency %v -> %v", sc.Network.Latency, p.Network.Latency))
	}
	for i := range sc.Subs {
		if a, b := sc.Subs[i].Handler.Duration, p.Subs[i].Handler.Duration; a != b {
			out = append(out, fmt.Sprintf("subscription %s handler duration %v -> %v", sc.Subs[i].ID, a, b))
		}
	}
	for i := range sc.Actions {
		a, b := &sc.Actions[i], &p.Actions[i]
		if !sameAction(*a, *b) {
			out = append(out, fmt.Sprintf("actions[%d] %s at %v is now a %s written for the same time (tie order)", i, a.Kind(), a.At, b.Kind()))
		} else if a.At != b.At {
			out = append(out, fmt.Sprintf("actions[%d] %s at %v -> %v", i, a.Kind(), a.At, b.At))
		}
	}
	for _, a := range p.Actions[len(sc.Actions):] {
		switch {
		case a.Disconnect != nil:
			out = append(out, fmt.Sprintf("added: disconnect %s at %v for %v", a.Disconnect.Client, a.At, a.Disconnect.For))
		case a.RestartServer != nil:
			out = append(out, fmt.Sprintf("added: restart_server at %v for %v", a.At, a.RestartServer.For))
		}
	}
	return out
}
