package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/sim"
)

// Vary is a scenario's vary: section: how far `drainsim check FILE` (and
// props.Perturb) may move each run away from the scenario as written. A
// field left out (nil, false or zero) is never varied. The perturbation
// itself lives in package props; the scenario only holds and validates
// the bounds.
type Vary struct {
	// Seed lets a run take another seed: other latency draws, handler
	// times drawn from their distributions, queue-member picks.
	Seed bool
	// Latency bounds the network latency: a run may replace it by
	// uniform(lo, hi) with Min <= lo <= hi <= Max.
	Latency *DurationRange
	// HandlerTime scales handler durations.
	HandlerTime *HandlerTimeVary
	// Disconnects and Restarts add faults: disconnect actions on the
	// allowed clients, restart_server actions.
	Disconnects *FaultVary
	Restarts    *FaultVary
	// PublishJitter moves each top-level publish and request action;
	// DrainJitter each top-level drain and drain_sub action.
	PublishJitter *Shift
	DrainJitter   *Shift
	// TieOrder lets a run reorder top-level actions written for the same
	// time (the model runs equal-time actions in list order).
	TieOrder bool
	// Keys lists the fields written, in file order: Override replaces
	// these only.
	Keys []string
	Line int
}

// DurationRange is a closed interval of durations, Min <= Max.
type DurationRange struct {
	Min, Max time.Duration
}

// Contains reports whether d is in r.
func (r DurationRange) Contains(d time.Duration) bool { return r.Min <= d && d <= r.Max }

// HandlerTimeVary scales the handler duration distribution of the named
// async subscriptions (all when Subs is empty) by a factor drawn in
// [MinFactor, MaxFactor], which contains 1.
type HandlerTimeVary struct {
	MinFactor, MaxFactor float64
	Subs                 []string
}

// FaultVary adds up to Max faults, each at a time in At lasting a time in
// For; a disconnect picks one of Clients (all when empty).
type FaultVary struct {
	Max     int
	At      DurationRange
	For     DurationRange
	Clients []string
}

// Shift moves an action's time by up to Earlier before it (never below 0)
// or up to Later after it.
type Shift struct {
	Earlier, Later time.Duration
}

// Most a vary: section allows, so that a perturbation stays cheap to draw
// and read.
const (
	// MaxVaryFaults is the most disconnects or restarts a run may add.
	MaxVaryFaults = 100
	// MaxHandlerFactor bounds handler_time.max_factor, and its inverse
	// handler_time.min_factor.
	MaxHandlerFactor = 1000
)

// varyKeys are the fields of a vary: section, in the order Marshal writes them.
var varyKeys = []string{"seed", "latency", "handler_time", "disconnects", "restarts", "publish_jitter", "drain_jitter", "tie_order"}

// vary decodes a vary: section.
func (d *decoder) vary(n *yaml.Node, path string) (*Vary, error) {
	v := &Vary{Line: n.Line}
	fields, err := d.mapping(n, path, varyKeys...)
	for _, f := range fields {
		if err != nil {
			break
		}
		v.Keys = append(v.Keys, f.name)
		switch f.name {
		case "seed":
			v.Seed, err = d.boolean(f.val, f.path)
		case "latency":
			var r DurationRange
			r, err = d.durationRange(f.val, f.path, true)
			v.Latency = &r
		case "handler_time":
			v.HandlerTime, err = d.handlerTimeVary(f.val, f.path)
		case "disconnects":
			v.Disconnects, err = d.faultVary(f.val, f.path, true)
		case "restarts":
			v.Restarts, err = d.faultVary(f.val, f.path, false)
		case "publish_jitter":
			v.PublishJitter, err = d.shift(f.val, f.path)
		case "drain_jitter":
			v.DrainJitter, err = d.shift(f.val, f.path)
		case "tie_order":
			v.TieOrder, err = d.boolean(f.val, f.path)
		}
	}
	// Keys in Marshal's order, so that Parse(Marshal(s)) equals s.
	slices.SortFunc(v.Keys, func(a, b string) int { return slices.Index(varyKeys, a) - slices.Index(varyKeys, b) })
	return v, err
}

// durationRange decodes {min: D, max: D}; both are required when required,
// else each defaults to 0.
func (d *decoder) durationRange(n *yaml.Node, path string, required bool) (DurationRange, error) {
	var r DurationRange
	err := d.object(n, path,
		key{"min", required, func(v *yaml.Node, p string) (err error) { r.Min, err = d.duration(v, p); return }},
		key{"max", required, func(v *yaml.Node, p string) (err error) { r.Max, err = d.duration(v, p); return }})
	if err == nil && r.Min > r.Max {
		err = d.errorf(n.Line, path, "min %v is above max %v: want min <= max", r.Min, r.Max)
	}
	return r, err
}

// factor decodes a positive number from lo to hi.
func (d *decoder) factor(n *yaml.Node, path string, lo, hi float64) (float64, error) {
	s, err := d.scalar(n, path, "a number such as 2 or 0.5", "!!int", "!!float")
	if err != nil {
		return 0, err
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil || f < lo || f > hi {
		return 0, d.errorf(n.Line, path, "%s is out of range: want a number from %g to %g", s, lo, hi)
	}
	return f, nil
}

func (d *decoder) handlerTimeVary(n *yaml.Node, path string) (*HandlerTimeVary, error) {
	h := &HandlerTimeVary{MinFactor: 1, MaxFactor: 1}
	err := d.object(n, path,
		key{"min_factor", false, func(v *yaml.Node, p string) (err error) {
			h.MinFactor, err = d.factor(v, p, 1.0/MaxHandlerFactor, 1)
			return
		}},
		key{"max_factor", false, func(v *yaml.Node, p string) (err error) {
			h.MaxFactor, err = d.factor(v, p, 1, MaxHandlerFactor)
			return
		}},
		key{"subs", false, func(v *yaml.Node, p string) (err error) { h.Subs, err = list(d, v, p, d.name); return }})
	return h, err
}

// faultVary decodes disconnects: (with clients) or restarts: (without).
func (d *decoder) faultVary(n *yaml.Node, path string, withClients bool) (*FaultVary, error) {
	fv := &FaultVary{}
	keys := []key{
		{"max", true, func(v *yaml.Node, p string) (err error) { fv.Max, err = d.between(v, p, 0, MaxVaryFaults); return }},
		{"at", true, func(v *yaml.Node, p string) (err error) { fv.At, err = d.durationRange(v, p, true); return }},
		{"for", false, func(v *yaml.Node, p string) (err error) { fv.For, err = d.durationRange(v, p, true); return }},
	}
	if withClients {
		keys = append(keys, key{"clients", false, func(v *yaml.Node, p string) (err error) { fv.Clients, err = list(d, v, p, d.name); return }})
	}
	return fv, d.object(n, path, keys...)
}

func (d *decoder) shift(n *yaml.Node, path string) (*Shift, error) {
	s := &Shift{}
	return s, d.object(n, path,
		key{"earlier", false, func(v *yaml.Node, p string) (err error) { s.Earlier, err = d.duration(v, p); return }},
		key{"later", false, func(v *yaml.Node, p string) (err error) { s.Later, err = d.duration(v, p); return }})
}

// validateVary checks that the names a vary: section gives resolve: the
// clients of disconnects, the async subscriptions of handler_time, whose
// distributions must be ones a factor can scale.
func (d *decoder) validateVary(s *Scenario) error {
	v := s.Vary
	if v == nil {
		return nil
	}
	if v.Disconnects != nil {
		for i, name := range v.Disconnects.Clients {
			p := index("vary.disconnects.clients", i)
			if s.Client(name) == nil {
				return d.errorf(d.varyLine(p), p, "%s", unknownName("client", name, clientNames(s)))
			}
		}
	}
	if v.HandlerTime == nil {
		return nil
	}
	for i, id := range v.HandlerTime.Subs {
		p := index("vary.handler_time.subs", i)
		sub := s.Sub(id)
		switch {
		case sub == nil:
			return d.errorf(d.varyLine(p), p, "%s", unknownName("subscription", id, subIDs(s)))
		case sub.Type != Async:
			return d.errorf(d.varyLine(p), p, "subscription %q is sync: only an async subscription's handler has a duration to scale", id)
		}
	}
	for i := range s.Subs {
		sub := &s.Subs[i]
		if !v.HandlerTime.Scales(sub) {
			continue
		}
		if k := sub.Handler.Duration.Kind; k == sim.Empirical || k == sim.Percentiles {
			p := "vary.handler_time"
			return d.errorf(d.varyLine(p), p, "subscription %q's handler duration %s is a measured table that a factor cannot scale: leave it out of handler_time.subs (its times still vary with seed: true)",
				sub.ID, sub.Handler.Duration)
		}
	}
	return nil
}

// varyLine is the line of a vary field, of the list an item path
// (ending in [i]) is in, or of the vary: section.
func (d *decoder) varyLine(path string) int {
	if l := d.line(path); l > 0 {
		return l
	}
	if i := strings.LastIndexByte(path, '['); i > 0 {
		if l := d.line(path[:i]); l > 0 {
			return l
		}
	}
	return d.line("vary")
}

// Scales reports whether h applies to sub: an async subscription named in
// Subs, or any async subscription when Subs is empty.
func (h *HandlerTimeVary) Scales(sub *Subscription) bool {
	return sub.Type == Async && (len(h.Subs) == 0 || slices.Contains(h.Subs, sub.ID))
}

// Override replaces the fields of s's vary: section that text, a vary:
// mapping in YAML (from the command line, named name in errors), sets,
// and validates the result against s. A field text sets to false or a
// zero range switches that variation off.
func (s *Scenario) Override(name string, text []byte) error {
	root, err := parseYAML(name, text)
	if err != nil {
		return err
	}
	d := &decoder{file: name, lines: make(map[string]int)}
	o, err := d.vary(root, "vary")
	if err != nil {
		return err
	}
	v := &Vary{}
	if s.Vary != nil {
		*v = *s.Vary
	}
	for _, k := range o.Keys {
		switch k {
		case "seed":
			v.Seed = o.Seed
		case "latency":
			v.Latency = o.Latency
		case "handler_time":
			v.HandlerTime = o.HandlerTime
		case "disconnects":
			v.Disconnects = o.Disconnects
		case "restarts":
			v.Restarts = o.Restarts
		case "publish_jitter":
			v.PublishJitter = o.PublishJitter
		case "drain_jitter":
			v.DrainJitter = o.DrainJitter
		case "tie_order":
			v.TieOrder = o.TieOrder
		}
		if !slices.Contains(v.Keys, k) {
			v.Keys = append(slices.Clip(v.Keys), k)
		}
	}
	prev := s.Vary
	s.Vary = v
	if err := d.validateVary(s); err != nil {
		s.Vary = prev
		return err
	}
	return nil
}

// marshalVary renders v as the lines of a vary: section.
func marshalVary(v *Vary) []string {
	var lines []string
	add := func(k, val string) { lines = append(lines, "  "+k+": "+val) }
	rng := func(r DurationRange) string {
		return pairs{"min: " + duration(r.Min), "max: " + duration(r.Max)}.flow()
	}
	names := func(ns []string) string {
		q := make([]string, len(ns))
		for i, n := range ns {
			q[i] = quote(n)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	faults := func(f *FaultVary) string {
		p := pairs{"max: " + strconv.Itoa(f.Max), "at: " + rng(f.At)}
		if f.For != (DurationRange{}) {
			p.add("for", rng(f.For))
		}
		if len(f.Clients) > 0 {
			p.add("clients", names(f.Clients))
		}
		return p.flow()
	}
	shift := func(s *Shift) string {
		return pairs{"earlier: " + duration(s.Earlier), "later: " + duration(s.Later)}.flow()
	}
	if v.Seed {
		add("seed", "true")
	}
	if v.Latency != nil {
		add("latency", rng(*v.Latency))
	}
	if h := v.HandlerTime; h != nil {
		p := pairs{"min_factor: " + strconv.FormatFloat(h.MinFactor, 'g', -1, 64), "max_factor: " + strconv.FormatFloat(h.MaxFactor, 'g', -1, 64)}
		if len(h.Subs) > 0 {
			p.add("subs", names(h.Subs))
		}
		add("handler_time", p.flow())
	}
	if v.Disconnects != nil {
		add("disconnects", faults(v.Disconnects))
	}
	if v.Restarts != nil {
		add("restarts", faults(v.Restarts))
	}
	if v.PublishJitter != nil {
		add("publish_jitter", shift(v.PublishJitter))
	}
	if v.DrainJitter != nil {
		add("drain_jitter", shift(v.DrainJitter))
	}
	if v.TieOrder {
		add("tie_order", "true")
	}
	return lines
}

// String renders r as "min..max", for messages.
func (r DurationRange) String() string { return fmt.Sprintf("%v..%v", r.Min, r.Max) }
