package props

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// WithinBounds reports whether p is a perturbation of sc that sc's vary:
// section allows: the error names the first difference it does not
// allow. It is written independently of Perturb, as the oracle that
// tests Perturb, the counterexamples of CheckFile and a hand-edited
// counterexample against the file's bounds:
//
//   - seed, network latency and handler durations differ only where
//     vary: lets them, and within its ranges and factors;
//   - the file's actions keep their places but for reorderings among
//     actions written for the same time (tie_order), and their times
//     move only as publish_jitter and drain_jitter allow;
//   - actions after the file's are disconnects and restarts within the
//     counts, times, durations and clients of disconnects: and restarts:;
//   - everything else, expectations included, is as written (but the
//     description, which a counterexample uses to say where it comes
//     from), and p has no vary: section.
func WithinBounds(sc, p *scenario.Scenario) error {
	v := sc.Vary
	if v == nil {
		v = &scenario.Vary{}
	}
	if p.Vary != nil {
		return fmt.Errorf("the perturbation has a vary: section: it should be one concrete run")
	}
	q := *p // p with every allowed change undone, to compare with sc
	q.Vary, q.Description = sc.Vary, sc.Description
	if p.Seed != sc.Seed && !v.Seed {
		return fmt.Errorf("seed %d -> %d: vary: does not allow seed", sc.Seed, p.Seed)
	}
	q.Seed = sc.Seed
	if err := latencyWithin(sc.Network.Latency, p.Network.Latency, v.Latency); err != nil {
		return err
	}
	q.Network.Latency = sc.Network.Latency
	if len(p.Subs) != len(sc.Subs) {
		return fmt.Errorf("%d subscriptions -> %d: vary: never changes subscriptions", len(sc.Subs), len(p.Subs))
	}
	q.Subs = slices.Clone(p.Subs)
	for i := range sc.Subs {
		if err := handlerWithin(&sc.Subs[i], p.Subs[i].Handler.Duration, v.HandlerTime); err != nil {
			return err
		}
		q.Subs[i].Handler.Duration = sc.Subs[i].Handler.Duration
	}
	if len(p.Actions) < len(sc.Actions) {
		return fmt.Errorf("%d actions -> %d: vary: never removes an action", len(sc.Actions), len(p.Actions))
	}
	if err := actionsWithin(sc.Actions, p.Actions[:len(sc.Actions)], v); err != nil {
		return err
	}
	if err := faultsWithin(p.Actions[len(sc.Actions):], sc, v); err != nil {
		return err
	}
	q.Actions = sc.Actions
	if !bytes.Equal(q.Marshal(), sc.Marshal()) {
		return fmt.Errorf("it differs from the file in something vary: never changes:\n%s\nis not\n%s", p.Marshal(), sc.Marshal())
	}
	return nil
}

// latencyWithin checks a perturbed network latency: the file's, or a
// constant or uniform distribution inside r.
func latencyWithin(orig, got sim.Dist, r *scenario.DurationRange) error {
	switch {
	case got == orig:
		return nil
	case r == nil:
		return fmt.Errorf("network latency %v -> %v: vary: does not allow latency", orig, got)
	case got.Kind == sim.Constant && r.Contains(got.A), got.Kind == sim.Uniform && r.Contains(got.A) && r.Contains(got.B) && got.A <= got.B:
		return nil
	}
	return fmt.Errorf("network latency %v -> %v: outside vary.latency %v", orig, got, r)
}

// handlerWithin checks a subscription's perturbed handler duration: its
// own, or its own scaled by one factor within h.
func handlerWithin(s *scenario.Subscription, got sim.Dist, h *scenario.HandlerTimeVary) error {
	orig := s.Handler.Duration
	if got == orig {
		return nil
	}
	if h == nil || !h.Scales(s) {
		return fmt.Errorf("subscription %s handler duration %v -> %v: vary: does not allow it", s.ID, orig, got)
	}
	// Durations are whole nanoseconds: allow for rounding.
	within := func(a, b time.Duration) bool {
		if a == 0 {
			return b == 0
		}
		f := float64(b) / float64(a)
		slack := 1 / float64(a)
		return f >= h.MinFactor-slack && f <= h.MaxFactor+slack
	}
	same := got.Kind == orig.Kind && got.Sigma == orig.Sigma && got.Table == orig.Table
	ratio := func(a, b time.Duration) float64 {
		if a == 0 {
			return math.NaN()
		}
		return float64(b) / float64(a)
	}
	oneFactor := orig.A == 0 || orig.B == 0 || math.Abs(ratio(orig.A, got.A)-ratio(orig.B, got.B)) < 1e-6
	if !same || !within(orig.A, got.A) || !within(orig.B, got.B) || !oneFactor {
		return fmt.Errorf("subscription %s handler duration %v -> %v: not the same distribution scaled by a factor in [%g, %g]", s.ID, orig, got, h.MinFactor, h.MaxFactor)
	}
	return nil
}

// actionsWithin checks the perturbed places of the file's actions: each
// holds an action written for the same time (itself unless tie_order),
// unchanged but for a time moved within its jitter. Actions are compared
// without their times and lines, so that a counterexample read back from
// its file (other lines) is judged as the perturbation itself.
func actionsWithin(orig, got []scenario.Action, v *scenario.Vary) error {
	used := make([]bool, len(orig))
	for i := range got {
		// The action now at place i: itself, or with tie_order the first
		// unused equal one written for the same time.
		j := -1
		for k := range orig {
			if (k == i || v.TieOrder && timedTie(orig[k], orig[i])) && !used[k] && sameAction(orig[k], got[i]) {
				j = k
				break
			}
		}
		if j < 0 {
			return fmt.Errorf("actions[%d] (%s) is not one the file has there: vary: changes only an action's time and, with tie_order, the order of actions written for the same time", i, got[i].Kind())
		}
		used[j] = true
		a := orig[j]
		if got[i].At == a.At {
			continue
		}
		s := v.DrainJitter
		if a.Publish != nil || a.Request != nil {
			s = v.PublishJitter
		} else if a.Drain == nil && a.DrainSub == nil {
			s = nil
		}
		if s == nil {
			return fmt.Errorf("actions[%d] %s at %v -> %v: vary: does not move this action", i, a.Kind(), a.At, got[i].At)
		}
		if d := got[i].At - a.At; d > s.Later || -d > s.Earlier {
			return fmt.Errorf("actions[%d] %s at %v -> %v: beyond its jitter (earlier %v, later %v)", i, a.Kind(), a.At, got[i].At, s.Earlier, s.Later)
		}
	}
	return nil
}

// faultsWithin checks the actions a perturbation added: disconnects and
// restarts within the counts, times, durations and clients v allows.
func faultsWithin(added []scenario.Action, sc *scenario.Scenario, v *scenario.Vary) error {
	var disconnects, restarts int
	for k, a := range added {
		var f *scenario.FaultVary
		var d time.Duration
		switch {
		case a.Disconnect != nil:
			disconnects++
			f, d = v.Disconnects, a.Disconnect.For
			if f != nil && len(f.Clients) > 0 && !slices.Contains(f.Clients, a.Disconnect.Client) ||
				sc.Client(a.Disconnect.Client) == nil {
				return fmt.Errorf("added disconnect of %s: not a client vary.disconnects allows", a.Disconnect.Client)
			}
		case a.RestartServer != nil:
			restarts++
			f, d = v.Restarts, a.RestartServer.For
		default:
			return fmt.Errorf("added action %d is a %s: vary: adds only disconnects and restarts", k, a.Kind())
		}
		switch {
		case f == nil:
			return fmt.Errorf("added %s: vary: does not allow it", a.Kind())
		case !f.At.Contains(a.At) || !f.For.Contains(d):
			return fmt.Errorf("added %s at %v for %v: outside at %v, for %v", a.Kind(), a.At, d, f.At, f.For)
		}
	}
	if v.Disconnects != nil && disconnects > v.Disconnects.Max || v.Restarts != nil && restarts > v.Restarts.Max {
		return fmt.Errorf("%d disconnects and %d restarts added: more than vary: allows", disconnects, restarts)
	}
	return nil
}

// timedTie reports whether a and b are timed actions written for the same
// time, which tie_order may swap; triggered actions are never swapped.
func timedTie(a, b scenario.Action) bool {
	return a.After == nil && b.After == nil && a.At == b.At
}

// sameAction reports whether a and b are the same action but for their
// times and lines (a trigger's line included).
func sameAction(a, b scenario.Action) bool {
	a.At, a.Line, b.At, b.Line = 0, 0, 0, 0
	for _, t := range []**scenario.Trigger{&a.After, &b.After} {
		if *t != nil {
			c := **t
			c.Line = 0
			*t = &c
		}
	}
	return reflect.DeepEqual(a, b)
}
