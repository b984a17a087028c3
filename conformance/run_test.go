package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// tolerance is the rule the README states.
var tolerance = DefaultTolerance

// A real run whose clock (the harness's waits and a probe waking every
// millisecond) woke more than maxLate late was kept waiting by the machine
// (other processes using the CPU) longer than the tolerance allows for, so
// it realised the scenario badly and says nothing about nats.go; conform
// repeats it, up to maxAttempts runs in all.
const (
	maxLate     = 5 * time.Millisecond
	maxAttempts = 5
)

// verdict is the comparison of one scenario.
type verdict struct {
	Name      string
	Diffs     []Diff
	RealWall  time.Duration // the real run, set-up to tear-down
	SimWall   time.Duration // one model run of the same scenario
	Late      time.Duration // the most the real run's clock woke late
	Attempts  int           // real runs made
	Disturbed bool          // every attempt was kept waiting more than maxLate
	Model     *Side
	Real      *Side
}

// conform runs sc on the model and on the real stack and compares the two.
// A disturbed real run is repeated, and so is one that disagrees: scheduler
// noise on a loaded machine (go test runs packages in parallel) can push one
// real run past the tolerance without its clock probe noticing. A scenario
// agrees when one undisturbed run agrees; the attempts are reported, so a
// scenario that needed more than one stays visible. The last attempt is kept.
func conform(sc *scenario.Scenario) (*verdict, error) {
	p, err := Prepare(sc, 1)
	if err != nil {
		return nil, err
	}
	cfg := model.Config{Profile: profile()}
	res, err := model.Run(p, cfg)
	if err != nil {
		return nil, err
	}
	v := &verdict{Name: sc.Name, Model: ModelSide(res), SimWall: modelWall(p, cfg)}
	until := realDuration(v.Model.Outcome)
	for v.Attempts < maxAttempts {
		v.Attempts++
		start := time.Now()
		if v.Real, v.Late, err = runReal(p, until); err != nil {
			return nil, err
		}
		v.RealWall = time.Since(start)
		if v.Late > maxLate {
			continue
		}
		if v.Diffs = Compare(v.Model, v.Real, tolerance); len(v.Diffs) == 0 {
			break
		}
	}
	v.Disturbed = v.Late > maxLate
	v.Diffs = Compare(v.Model, v.Real, tolerance)
	if dir := os.Getenv("DRAINSIM_CONFORMANCE_OUT"); dir != "" {
		if err := v.save(dir); err != nil {
			return nil, err
		}
	}
	return v, nil
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
// in 20 ms (at least one).
func modelWall(sc *scenario.Scenario, cfg model.Config) time.Duration {
	start := time.Now()
	n := 0
	for n == 0 || time.Since(start) < 20*time.Millisecond {
		if _, err := model.Run(sc, cfg); err != nil {
			return 0
		}
		n++
	}
	return time.Since(start) / time.Duration(n)
}

// save writes both outcomes, with their message keys, as JSON files.
func (v *verdict) save(dir string) error {
	for side, s := range map[string]*Side{"model": v.Model, "real": v.Real} {
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
