package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// profile is the Go profile as the conformance runs use it: without
// reconnect jitter, which the real clients are configured without too.
func profile() *model.Profile {
	p := model.GoProfile
	p.ReconnectJitter = 0
	return &p
}

// tolerance is the rule docs/conformance.md states.
var tolerance = DefaultTolerance

// A real-time run whose clock (the harness's waits and a probe waking every
// millisecond) woke more than maxLate late was kept waiting by the machine
// (other processes using the CPU) longer than the tolerance allows for, so
// it realised the scenario badly and says nothing about nats.go; conform
// repeats it, up to maxAttempts runs in all. A virtual-time run is never
// late, but it is repeated the same way when it disagrees (see conform).
const (
	maxLate     = 5 * time.Millisecond
	maxAttempts = 5
)

// runner says which runner plays the real stack.
type runner uint8

const (
	virtualTime runner = iota // in-memory links in a synctest bubble (vnet_test.go)
	realTime                  // TCP relays on 127.0.0.1, in real time
)

func (k runner) String() string {
	if k == realTime {
		return "real-time"
	}
	return "virtual-time"
}

// verdict is the comparison of one scenario.
type verdict struct {
	Name      string
	Runner    runner
	Diffs     []Diff
	Tie       string        // the model variant the real run matched, when not the model's own run
	Exact     bool          // the real run agrees with the model's with no tolerance at all
	RealWall  time.Duration // the real run, set-up to tear-down
	SimWall   time.Duration // one model run of the same scenario
	Late      time.Duration // the most the real run's clock woke late
	Attempts  int           // real runs made
	Disturbed bool          // every attempt was kept waiting more than maxLate
	Model     *Side
	Real      *Side
}

// conform runs sc on the model and on the real stack with runner k, and
// compares the two. A real run may differ from the model's where the real
// system decides by chance: events due at one instant in virtual time (a
// poll tick and a callback's end) run in the order the Go scheduler picks,
// and in real time scheduler noise of a loaded machine (go test runs
// packages in parallel) can push a run past the tolerance without its clock
// probe noticing. So a real run that disagrees with the model's run is
// compared with the model's runs under the perturbations of Variants (ties
// reversed, timers late, jitter, other seeds), and one that matches a
// variant agrees as a tie, naming the variant, as the comparator treats
// poll-boundary races; one that matches none, or is disturbed, is repeated.
// A scenario agrees when one undisturbed run agrees; the attempts are
// reported, so a scenario that needed more than one stays visible. The last
// attempt is kept.
func conform(t *testing.T, sc *scenario.Scenario, k runner) (*verdict, error) {
	if k == realTime && stalls(sc) {
		return nil, fmt.Errorf("%s: the real-time relay cannot stall a link (virtual-time runner only)", sc.Name)
	}
	p, err := Prepare(sc, 1)
	if err != nil {
		return nil, err
	}
	cfg := model.Config{Profile: profile()}
	res, err := model.Run(p, cfg)
	if err != nil {
		return nil, err
	}
	v := &verdict{Name: sc.Name, Runner: k, Model: ModelSide(res), SimWall: modelWall(p, cfg)}
	until := realDuration(v.Model.Outcome)
	vary := variantsOf(p)
	for v.Attempts < maxAttempts {
		v.Attempts++
		start := time.Now()
		if k == realTime {
			v.Real, v.Late, err = runReal(p, until)
		} else {
			v.Real, err = runVirtual(t, p, until)
		}
		if err != nil {
			return nil, err
		}
		v.RealWall = time.Since(start)
		if v.Late > maxLate {
			continue
		}
		if v.Diffs, v.Tie, err = judge(v.Model, v.Real, vary); err != nil {
			return nil, err
		}
		if len(v.Diffs) == 0 {
			break
		}
	}
	v.Exact = len(Compare(v.Model, v.Real, Tolerance{})) == 0
	v.Disturbed = v.Late > maxLate
	if v.Disturbed {
		v.Diffs = Compare(v.Model, v.Real, tolerance)
	}
	if dir := os.Getenv("DRAINSIM_CONFORMANCE_OUT"); dir != "" {
		if err := v.save(dir); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// judge compares a real run with the model's run m and, when they differ,
// with the model's variants (vary makes them on first need). It returns the
// differences from m, or none and the name of the first variant the real
// run agrees with.
func judge(m, real *Side, vary func() ([]Variant, error)) ([]Diff, string, error) {
	diffs := Compare(m, real, tolerance)
	if len(diffs) == 0 {
		return nil, "", nil
	}
	variants, err := vary()
	if err != nil {
		return nil, "", err
	}
	for _, va := range variants[1:] {
		if len(Compare(va.Side, real, tolerance)) == 0 {
			return nil, va.Name, nil
		}
	}
	return diffs, "", nil
}

// judgedTieOrders bounds how many orders of the model's equal-time events
// judge tries (TieVariants) once a real run matches none of the Variants.
const judgedTieOrders = 300

// variantsOf returns a function that makes the Variants of the prepared
// scenario p once and then returns them again, followed by the distinct
// outcomes of its first judgedTieOrders tie orders: a real run that matches
// one of those differs from the model's only in how a race at one instant
// went (docs/exhaustive.md, "Conformance and the set of outcomes").
func variantsOf(p *scenario.Scenario) func() ([]Variant, error) {
	var vs []Variant
	var err error
	return func() ([]Variant, error) {
		if vs == nil && err == nil {
			vs, err = Variants(p, profile())
			if err == nil {
				var ties []Variant
				ties, _, err = TieVariants(p, profile(), tolerance, judgedTieOrders)
				if len(ties) > 1 {
					vs = append(vs, ties[1:]...) // the first is the model's own run
				}
			}
		}
		return vs, err
	}
}

// realDuration is how long a real run lasts: the tolerance plus 250 ms past
// the model's last observable event. (The model's run may go on longer with
// timers that change nothing, such as a reconnect attempt on a connection
// that has closed.)
func realDuration(o *model.Outcome) time.Duration {
	last := lastEvent(o)
	return time.Duration(last) + tolerance.Allowed(last, ConnPoll) + 250*time.Millisecond
}

// lastEvent returns the time of the latest event an outcome records.
func lastEvent(o *model.Outcome) int64 {
	var last int64
	at := func(t int64) { last = max(last, t) }
	ptr := func(t *int64) {
		if t != nil {
			at(*t)
		}
	}
	for _, c := range o.Calls {
		at(c.ReturnedAtNS)
	}
	for _, c := range o.Connections {
		for _, s := range c.Status {
			at(s.AtNS)
		}
		for _, cb := range c.Callbacks {
			at(cb.AtNS)
		}
		if c.Drain != nil {
			ptr(c.Drain.DoneNS) // a drain may end without a status change (nats.py's failed final flush)
		}
	}
	for _, s := range o.Subscriptions {
		for _, d := range s.Delivered {
			at(d.StartNS)
			ptr(d.EndNS)
		}
		ptr(s.RemovedNS)
		ptr(s.ClosedHandlerNS)
	}
	return last
}

// modelWall measures one model run of sc: the mean over as many runs as fit
// in 5 ms (at least one): the whole corpus then adds 0.4 s.
func modelWall(sc *scenario.Scenario, cfg model.Config) time.Duration {
	start := time.Now()
	n := 0
	for n == 0 || time.Since(start) < 5*time.Millisecond {
		if _, err := model.Run(sc, cfg); err != nil {
			return 0
		}
		n++
	}
	return time.Since(start) / time.Duration(n)
}

// save writes both outcomes, with their message keys, as JSON files:
// NAME.model.json and NAME.virtual-time.json or NAME.real-time.json.
func (v *verdict) save(dir string) error {
	for side, s := range map[string]*Side{"model": v.Model, v.Runner.String(): v.Real} {
		b, err := json.MarshalIndent(struct {
			Keys    map[int]Key    `json:"keys"`
			Outcome *model.Outcome `json:"outcome"`
		}{s.Keys, s.Outcome}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s.%s.json", v.Name, side)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// stalls reports whether sc stalls a link, which only the virtual network
// can do.
func stalls(sc *scenario.Scenario) bool {
	return slices.ContainsFunc(sc.Actions, func(a scenario.Action) bool { return a.Stall != nil })
}
