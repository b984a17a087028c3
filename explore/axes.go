package explore

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TimeoutAxis is the name of the drain-timeout axis: the x axis of the
// charts and the axis the recommendation is about unless the sweep's x
// names another, and then the only axis a sweep must have.
const TimeoutAxis = "drain_timeout"

// WaitAxis is the name of the axis that sets the time of actions to a wait
// after a reference action: the wait between subscribing a new queue
// member and draining the old one.
const WaitAxis = "wait"

// RateAxis is the name of the publish-rate axis, the one x axis along
// which a smaller value is the remedy.
const RateAxis = "publish_rate"

// XAxes are the axes a sweep's x may name: those along which one direction
// is the operator's remedy, so that the advice is the first value, going
// that way, that meets the target: the smallest drain timeout, action
// time or wait (a longer one is safer), the largest publish rate (a lower
// one is safer). TimeoutAxis, the default, comes first.
var XAxes = []string{TimeoutAxis, "at", WaitAxis, RateAxis}

// lowerIsSafer reports whether a smaller value of x axis name is the
// remedy, so that the advice is the largest value that meets the target.
func lowerIsSafer(name string) bool { return name == RateAxis }

// Axis is one swept parameter: its values, in order, and what it changes in
// the base scenario.
type Axis struct {
	Name   string
	Values []Value
	// Clients (drain_timeout), Subs (handler, request_timeout, pending
	// limits) or Actions (backlog, publish_rate, at, wait: indices into
	// the scenario's actions) are what the axis changes; axes of the whole
	// scenario have none.
	Clients []string
	Subs    []string
	Actions []int
	// After is, for a wait axis, the index of the timed action the wait
	// counts from: a value w sets the time of Actions to After's time + w.
	// It is -1 for the other axes.
	After int
	kind  *axisKind
	// clientIdx and subIdx are the indices of Clients and Subs in the base
	// scenario, so that a cell changes them without looking every name up
	// (which was quadratic in the number of clients).
	clientIdx, subIdx []int
}

// Value is one value of an axis.
type Value struct {
	// Label is the value as tables and charts show it, e.g. "10ms",
	// "uniform(50µs,150µs)", "1000".
	Label string
	// Num is the value of a numeric axis: nanoseconds for durations, a
	// count, messages per second, bytes. It holds every integer value
	// exactly: the parser bounds counts by scenario.MaxCount, sizes by
	// scenario.MaxBytes and durations by scenario.MaxDuration, all below
	// 2^53, so a backlog of 2^63-1 is refused rather than rounded (it once
	// ran as a backlog of 1 labelled 9223372036854776000).
	Num float64
	// Dist is the value of a distribution axis (handler, latency,
	// route_latency, leaf_latency, gateway_latency).
	Dist sim.Dist
}

// Duration returns the value of a duration axis.
func (v Value) Duration() time.Duration { return time.Duration(v.Num) }

// target is what an axis kind changes in the base scenario.
type target uint8

const (
	wholeScenario target = iota
	someClients
	someSubs
	someActions
)

// targetKeys are the sweep-file keys that name an axis's targets.
var targetKeys = [...]string{someClients: "clients", someSubs: "subs", someActions: "actions"}

// axisKind describes one axis name: how to read its values, whether they
// can be given as a range, and how a value changes a cell.
type axisKind struct {
	name   string
	target target
	// value decodes one value.
	value func(dec *scenario.Decoder, n *yaml.Node, path string) (Value, error)
	// fromNum makes a value of a numeric axis, for ranges; nil if the axis
	// takes only lists.
	fromNum func(x float64) Value
	// apply changes the cell for value v of axis ax.
	apply func(c *cellSpec, ax *Axis, v Value)
	// links picks the links a link-latency axis sets out of a topology;
	// nil for the other axes.
	links func(*scenario.Topology) *[]scenario.Link
}

// axisKinds lists every axis a sweep may have, in the order docs/explore.md
// documents them.
var axisKinds = []*axisKind{
	{name: TimeoutAxis, target: someClients, value: durationValue(0), fromNum: durationNum,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			d := v.Duration()
			for _, i := range ax.clientIdx {
				c.sc.Clients[i].DrainTimeout = &d
			}
		}},
	{name: "handler", target: someSubs, value: distValue,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			for _, i := range ax.subIdx {
				c.sc.Subs[i].Handler.Duration = v.Dist
			}
		}},
	{name: "request_timeout", target: someSubs, value: durationValue(1), fromNum: durationNum,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			for _, i := range ax.subIdx {
				h := &c.sc.Subs[i].Handler
				h.Actions = slices.Clone(h.Actions)
				for i, a := range h.Actions {
					if a.Request != nil {
						r := *a.Request
						r.Timeout = v.Duration()
						h.Actions[i].Request = &r
					}
				}
			}
		}},
	{name: "backlog", target: someActions, value: countValue, fromNum: countNum,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			for _, i := range ax.Actions {
				p := c.publish(i)
				p.Count = int(v.Num)
			}
		}},
	{name: RateAxis, target: someActions, value: rateValue, fromNum: rateNum,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			for _, i := range ax.Actions {
				p := c.publish(i)
				p.Interval = time.Duration(math.Round(float64(time.Second) / v.Num))
			}
		}},
	{name: "latency", value: distValue,
		apply: func(c *cellSpec, _ *Axis, v Value) { c.sc.Network.Latency = v.Dist }},
	linkAxis("route_latency", func(t *scenario.Topology) *[]scenario.Link { return &t.Routes }),
	linkAxis("leaf_latency", func(t *scenario.Topology) *[]scenario.Link { return &t.Leafnodes }),
	linkAxis("gateway_latency", func(t *scenario.Topology) *[]scenario.Link { return &t.Gateways }),
	{name: "at", target: someActions, value: durationValue(0), fromNum: durationNum,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			for _, i := range ax.Actions {
				c.sc.Actions[i].At = v.Duration()
			}
		}},
	{name: WaitAxis, target: someActions, value: durationValue(0), fromNum: durationNum,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			for _, i := range ax.Actions {
				c.sc.Actions[i].At = c.sc.Actions[ax.After].At + v.Duration()
			}
		}},
	{name: "conn_drain_poll", value: durationValue(1), fromNum: durationNum,
		apply: func(c *cellSpec, _ *Axis, v Value) { c.prof.ConnDrainPoll = v.Duration() }},
	{name: "sub_drain_poll", value: durationValue(1), fromNum: durationNum,
		apply: func(c *cellSpec, _ *Axis, v Value) { c.prof.SubDrainPoll = v.Duration() }},
	{name: "pending_msgs_limit", target: someSubs, value: pendingValue, fromNum: countNum,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			n := int(v.Num)
			for _, i := range ax.subIdx {
				c.sc.Subs[i].PendingMsgsLimit = &n
			}
		}},
	{name: "pending_bytes_limit", target: someSubs, value: bytesValue, fromNum: countNum,
		apply: func(c *cellSpec, ax *Axis, v Value) {
			n := int(v.Num)
			for _, i := range ax.subIdx {
				c.sc.Subs[i].PendingBytesLimit = &n
			}
		}},
	// profile is applied before every other axis (see Sweep.cell), so
	// that poll intervals override the chosen profile's.
	{name: "profile", value: profileValue,
		apply: func(c *cellSpec, _ *Axis, v Value) {
			p, _ := model.LookupProfile(v.Label) // checked when parsed
			*c.prof = *p
			c.sc.Profile = v.Label
		}},
}

// linkAxis is the axis that sets the latency distribution of every link
// of one kind (routes, leaf connections, gateways) of the topology; links
// picks that kind's list out of a topology.
func linkAxis(name string, links func(*scenario.Topology) *[]scenario.Link) *axisKind {
	return &axisKind{name: name, value: distValue, links: links,
		apply: func(c *cellSpec, _ *Axis, v Value) {
			t := *c.sc.Topology
			l := links(&t)
			*l = slices.Clone(*l)
			for i := range *l {
				(*l)[i].Latency = v.Dist
			}
			c.sc.Topology = &t
		}}
}

func axisNames() []string {
	names := make([]string, len(axisKinds))
	for i, k := range axisKinds {
		names[i] = k.name
	}
	return names
}

func durationValue(min time.Duration) func(*scenario.Decoder, *yaml.Node, string) (Value, error) {
	return func(dec *scenario.Decoder, n *yaml.Node, path string) (Value, error) {
		d, err := dec.Duration(n, path)
		if err == nil && d < min {
			err = dec.Errorf(n.Line, path, "must be positive, got %v", d)
		}
		return durationNum(float64(d)), err
	}
}

func durationNum(x float64) Value {
	d := time.Duration(math.Round(x))
	return Value{Label: d.String(), Num: float64(d)}
}

func distValue(dec *scenario.Decoder, n *yaml.Node, path string) (Value, error) {
	d, err := dec.Dist(n, path)
	return Value{Label: d.String(), Dist: d}, err
}

func countValue(dec *scenario.Decoder, n *yaml.Node, path string) (Value, error) {
	c, err := dec.Between(n, path, 1, scenario.MaxCount)
	return countNum(float64(c)), err
}

func countNum(x float64) Value {
	n := math.Round(x)
	return Value{Label: strconv.FormatFloat(n, 'f', -1, 64), Num: n}
}

func pendingValue(dec *scenario.Decoder, n *yaml.Node, path string) (Value, error) {
	c, err := dec.PendingLimit(n, path)
	return countNum(float64(c)), err
}

func bytesValue(dec *scenario.Decoder, n *yaml.Node, path string) (Value, error) {
	c, err := dec.Size(n, path, true)
	return countNum(float64(c)), err
}

func rateValue(dec *scenario.Decoder, n *yaml.Node, path string) (Value, error) {
	const want = "a rate in messages per second such as 500 or 2.5e3"
	s, err := dec.Scalar(n, path, want, "!!int", "!!float")
	if err != nil {
		return Value{}, err
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || !(r >= 1e-3 && r <= 1e9) {
		return Value{}, dec.Errorf(n.Line, path, "bad rate %q: want %s, between 0.001 and 1e9", s, want)
	}
	return rateNum(r), nil
}

func rateNum(x float64) Value { return Value{Label: strconv.FormatFloat(x, 'g', -1, 64), Num: x} }

func profileValue(dec *scenario.Decoder, n *yaml.Node, path string) (Value, error) {
	name, err := dec.Name(n, path)
	if err == nil {
		if _, perr := model.LookupProfile(name); perr != nil {
			err = dec.Wrap(n.Line, path, perr)
		}
	}
	return Value{Label: name}, err
}

// parseAxes decodes the axes mapping f and resolves each axis's targets in
// base. The x axis (drain_timeout unless x names another of XAxes) is
// moved last, so that it varies fastest and each series of cells is
// contiguous; drain_timeout is required when it is the x axis.
func parseAxes(dec *scenario.Decoder, base *scenario.Scenario, f, x scenario.Field) ([]*Axis, error) {
	fields, err := dec.Mapping(f.Value, f.Path, axisNames()...)
	if err != nil {
		return nil, err
	}
	xName := TimeoutAxis
	if x.Value != nil {
		if xName, err = dec.Name(x.Value, x.Path); err != nil {
			return nil, err
		}
		if !slices.Contains(XAxes, xName) {
			return nil, dec.Errorf(x.Line, x.Path, "axis %q cannot be the x axis: want one of %s, along which the advice is the smallest value (the largest publish_rate) that meets the target", xName, strings.Join(XAxes, ", "))
		}
	}
	var axes []*Axis
	var xAxis *Axis
	for _, af := range fields {
		k := axisKinds[slices.Index(axisNames(), af.Name)]
		ax, err := parseAxis(dec, base, k, af, k.name == xName)
		if err != nil {
			return nil, err
		}
		if k.name == xName {
			xAxis = ax
			continue
		}
		axes = append(axes, ax)
	}
	switch {
	case xAxis == nil && x.Value != nil:
		return nil, dec.Errorf(x.Line, x.Path, "x names axis %q, which axes: does not have: add it, or name one of the sweep's axes", xName)
	case xAxis == nil:
		return nil, dec.Errorf(f.Line, scenario.Join(f.Path, TimeoutAxis),
			"missing required axis: every sweep varies the drain timeout (a list of one value is fine), e.g. drain_timeout: [100ms, 1s, 10s], unless x: names another axis")
	}
	axes = append(axes, xAxis)
	if err := checkTimes(axes); err != nil {
		return nil, dec.Wrap(f.Line, f.Path, err)
	}
	return axes, nil
}

// checkTimes refuses at and wait axes that set the time of one action
// twice, or move the action a wait counts from: the cell's time would
// depend on the order the axes apply in.
func checkTimes(axes []*Axis) error {
	setBy := map[int]string{} // action -> axis that sets its time (lookups only)
	var waits []*Axis
	for _, ax := range axes {
		if ax.Name != "at" && ax.Name != WaitAxis {
			continue
		}
		if ax.Name == WaitAxis {
			waits = append(waits, ax)
		}
		for _, i := range ax.Actions {
			if other, ok := setBy[i]; ok {
				return fmt.Errorf("actions[%d] is set by both the %s and the %s axis: give each action's time one axis", i, other, ax.Name)
			}
			setBy[i] = ax.Name
		}
	}
	for _, w := range waits {
		if other, ok := setBy[w.After]; ok {
			return fmt.Errorf("the wait counts from actions[%d], whose time the %s axis sets: count it from an action no axis moves", w.After, other)
		}
	}
	return nil
}

// parseAxis decodes one axis: a list of values, or a mapping with values
// (or a range from, to, count, scale) and optionally the axis's targets.
func parseAxis(dec *scenario.Decoder, base *scenario.Scenario, k *axisKind, f scenario.Field, x bool) (*Axis, error) {
	ax := &Axis{Name: k.name, kind: k, After: -1}
	n, path := f.Value, f.Path
	var err error
	switch n.Kind {
	case yaml.SequenceNode:
		err = ax.parseList(dec, n, path)
	case yaml.MappingNode:
		err = ax.parseMapping(dec, n, path)
	default:
		want := "a list of values, or a mapping with values:"
		if k.fromNum != nil {
			want += " or from:, to:, count:"
		}
		err = dec.TypeError(n, path, want)
	}
	if err == nil {
		err = ax.checkValues(dec, n, path, x)
	}
	if err == nil {
		err = ax.defaultTargets(dec, base, f)
	}
	return ax, err
}

func (ax *Axis) parseList(dec *scenario.Decoder, n *yaml.Node, path string) error {
	items, err := dec.Sequence(n, path)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return dec.Errorf(n.Line, path, "no values: want at least one")
	}
	for i, item := range items {
		v, err := ax.kind.value(dec, item, scenario.Index(path, i))
		if err != nil {
			return err
		}
		ax.Values = append(ax.Values, v)
	}
	return nil
}

func (ax *Axis) parseMapping(dec *scenario.Decoder, n *yaml.Node, path string) error {
	known := []string{"values"}
	if ax.kind.fromNum != nil {
		known = append(known, "from", "to", "count", "scale")
	}
	if ax.kind.target != wholeScenario {
		known = append(known, targetKeys[ax.kind.target])
	}
	if ax.Name == WaitAxis {
		known = append(known, "after_action")
	}
	fields, err := dec.Mapping(n, path, known...)
	if err != nil {
		return err
	}
	var rng rangeSpec
	hasValues := false
	for _, f := range fields {
		switch f.Name {
		case "values":
			hasValues = true
			err = ax.parseList(dec, f.Value, f.Path)
		case "from":
			rng.from, err = ax.kind.value(dec, f.Value, f.Path)
		case "to":
			rng.to, err = ax.kind.value(dec, f.Value, f.Path)
		case "count":
			rng.count, err = dec.Between(f.Value, f.Path, 2, MaxRangeCount)
		case "scale":
			rng.log, err = parseScale(dec, f.Value, f.Path)
		case "after_action":
			ax.After, err = dec.Between(f.Value, f.Path, 0, scenario.MaxItems-1)
		default: // the target key
			err = ax.parseTargets(dec, f)
		}
		if err != nil {
			return err
		}
	}
	hasRange := slices.ContainsFunc(fields, func(f scenario.Field) bool { return f.Name == "from" || f.Name == "to" || f.Name == "count" })
	switch {
	case hasValues && hasRange:
		return dec.Errorf(n.Line, path, "both values and a range: give one or the other")
	case hasValues:
		return nil
	case !hasRange:
		if ax.kind.fromNum == nil {
			return dec.Errorf(n.Line, scenario.Join(path, "values"), "missing required field")
		}
		return dec.Errorf(n.Line, path, "no values: want values: [...] or a range from:, to:, count:")
	}
	if err := dec.Require(n, path, fields, "from", "to", "count"); err != nil {
		return err
	}
	ax.Values, err = rng.values(ax.kind.fromNum)
	if err != nil {
		return dec.Wrap(n.Line, path, err)
	}
	return nil
}

func parseScale(dec *scenario.Decoder, n *yaml.Node, path string) (bool, error) {
	s, err := dec.Str(n, path)
	switch {
	case err != nil:
		return false, err
	case s == "linear":
		return false, nil
	case s == "log":
		return true, nil
	}
	return false, dec.Errorf(n.Line, path, "unknown scale %q: want linear or log", s)
}

// parseTargets decodes the list of clients, subscriptions or action
// indices an axis changes; they are checked in defaultTargets.
func (ax *Axis) parseTargets(dec *scenario.Decoder, f scenario.Field) error {
	items, err := dec.Sequence(f.Value, f.Path)
	if err == nil && len(items) == 0 {
		err = dec.Errorf(f.Line, f.Path, "empty list: leave the field out to change every one that fits")
	}
	for i, item := range items {
		if err != nil {
			break
		}
		p := scenario.Index(f.Path, i)
		switch ax.kind.target {
		case someActions:
			var a int
			a, err = dec.Between(item, p, 0, scenario.MaxItems-1)
			ax.Actions = append(ax.Actions, a)
		case someClients:
			var s string
			s, err = dec.Name(item, p)
			ax.Clients = append(ax.Clients, s)
		default:
			var s string
			s, err = dec.Name(item, p)
			ax.Subs = append(ax.Subs, s)
		}
	}
	return err
}

// checkValues rejects repeated values and, for the drain timeout and the x
// axis, values that do not increase.
func (ax *Axis) checkValues(dec *scenario.Decoder, n *yaml.Node, path string, x bool) error {
	seen := make(map[string]int, len(ax.Values)) // lookups only
	for i, v := range ax.Values {
		if j, ok := seen[v.Label]; ok {
			return dec.Errorf(n.Line, path, "value %s appears twice (values %d and %d)", v.Label, j, i)
		}
		seen[v.Label] = i
		if (x || ax.Name == TimeoutAxis) && i > 0 && v.Num <= ax.Values[i-1].Num {
			return dec.Errorf(n.Line, path, "values must increase: %s comes after %s", v.Label, ax.Values[i-1].Label)
		}
	}
	return nil
}

// defaultTargets checks the axis's targets against base, or picks them when
// the sweep names none: every client; every subscription that fits (see
// fits); for backlog the publish actions
// that start no later than the first drain action, for publish_rate every
// publish action. An at axis must name its actions; a route_latency axis
// needs a base with routes.
func (ax *Axis) defaultTargets(dec *scenario.Decoder, base *scenario.Scenario, f scenario.Field) error {
	path := scenario.Join(f.Path, targetKeys[ax.kind.target])
	if l := ax.kind.links; l != nil && (base.Topology == nil || len(*l(base.Topology)) == 0) {
		kind := strings.TrimSuffix(ax.Name, "_latency")
		return dec.Errorf(f.Line, f.Path, "scenario %s has no %s links (see its servers:): %s sets the latency of every %s link of its topology (docs/cluster.md)", base.File, kind, ax.Name, kind)
	}
	switch ax.kind.target {
	case someClients:
		if ax.Clients == nil {
			for _, c := range base.Clients {
				ax.Clients = append(ax.Clients, c.Name)
			}
		}
		index := make(map[string]int, len(base.Clients)) // lookups only
		for i, c := range base.Clients {
			index[c.Name] = i
		}
		for _, name := range ax.Clients {
			i, ok := index[name]
			if !ok {
				return dec.Errorf(f.Line, path, "unknown client %q in scenario %s", name, base.File)
			}
			ax.clientIdx = append(ax.clientIdx, i)
		}
		if len(ax.Clients) == 0 {
			return dec.Errorf(f.Line, f.Path, "scenario %s has no clients", base.File)
		}
	case someSubs:
		given := ax.Subs != nil
		if !given {
			for _, s := range base.Subs {
				if ax.fits(&s) {
					ax.Subs = append(ax.Subs, s.ID)
				}
			}
		}
		index := make(map[string]int, len(base.Subs)) // lookups only
		for i, s := range base.Subs {
			index[s.ID] = i
		}
		for _, id := range ax.Subs {
			i, ok := index[id]
			switch {
			case !ok:
				return dec.Errorf(f.Line, path, "unknown subscription %q in scenario %s", id, base.File)
			case !ax.fits(&base.Subs[i]):
				return dec.Errorf(f.Line, path, "subscription %q cannot take this axis: %s", id, ax.fitsWhat())
			}
			ax.subIdx = append(ax.subIdx, i)
		}
		if len(ax.Subs) == 0 {
			return dec.Errorf(f.Line, f.Path, "scenario %s has no subscription this axis can change", base.File)
		}
	case someActions:
		if ax.Name == "at" || ax.Name == WaitAxis {
			return ax.timedTargets(dec, base, f, path)
		}
		if ax.Actions == nil {
			ax.Actions = defaultPublishes(base, ax.Name == "backlog")
		}
		for _, i := range ax.Actions {
			if i >= len(base.Actions) || base.Actions[i].Publish == nil {
				return dec.Errorf(f.Line, path, "actions[%d] of scenario %s is not a publish action", i, base.File)
			}
		}
		if len(ax.Actions) == 0 {
			return dec.Errorf(f.Line, f.Path, "scenario %s has no publish action before its first drain: name the actions to change", base.File)
		}
	}
	return nil
}

// timedTargets checks the actions of an at or wait axis: the sweep must
// name them (no default would say which step's time is swept), and each
// must be a timed action of base; a triggered action (after:) has no time
// to set. A wait axis must also name the timed action it counts from
// (after_action), not one of its own, and the latest time it sets must be
// one a scenario may have.
func (ax *Axis) timedTargets(dec *scenario.Decoder, base *scenario.Scenario, f scenario.Field, path string) error {
	if ax.Actions == nil {
		return dec.Errorf(f.Line, path, "missing required field: name the actions whose time the axis sets, e.g. %s: {values: [10ms, 12ms], actions: [2]}", ax.Name)
	}
	timed := func(path string, i int) error {
		switch {
		case i >= len(base.Actions):
			return dec.Errorf(f.Line, path, "actions[%d]: scenario %s has %d actions", i, base.File, len(base.Actions))
		case base.Actions[i].After != nil:
			return dec.Errorf(f.Line, path, "actions[%d] of scenario %s is triggered (after:), not timed: it has no at to set", i, base.File)
		}
		return nil
	}
	for _, i := range ax.Actions {
		if err := timed(path, i); err != nil {
			return err
		}
	}
	if ax.Name != WaitAxis {
		return nil
	}
	after := scenario.Join(f.Path, "after_action")
	if ax.After < 0 {
		return dec.Errorf(f.Line, after, "missing required field: name the action the wait counts from, e.g. wait: {values: [0s, 2ms], actions: [2], after_action: 1}")
	}
	if err := timed(after, ax.After); err != nil {
		return err
	}
	if slices.Contains(ax.Actions, ax.After) {
		return dec.Errorf(f.Line, after, "actions[%d] is one the wait sets: the wait counts from another action", ax.After)
	}
	if last := base.Actions[ax.After].At + ax.Values[len(ax.Values)-1].Duration(); last > scenario.MaxDuration {
		return dec.Errorf(f.Line, f.Path, "actions[%d] at %v plus a wait of %s is %v, after the longest scenario time %v", ax.After, base.Actions[ax.After].At, ax.Values[len(ax.Values)-1].Label, last, scenario.MaxDuration)
	}
	return nil
}

// fits reports whether the axis can change subscription s: handler needs
// an async subscription, request_timeout one whose handler makes a request.
func (ax *Axis) fits(s *scenario.Subscription) bool {
	switch ax.Name {
	case "handler":
		return s.Type == scenario.Async
	case "request_timeout":
		return slices.ContainsFunc(s.Handler.Actions, func(a scenario.HandlerAction) bool { return a.Request != nil })
	}
	return true
}

// fitsWhat says what fits asks of a subscription.
func (ax *Axis) fitsWhat() string {
	if ax.Name == "request_timeout" {
		return "its handler makes no request"
	}
	return "it is sync, and only async subscriptions have a handler"
}

// defaultPublishes returns the indices of base's publish actions; with
// beforeDrain, only those that start no later than the first top-level
// drain or drain_sub action (all of them if there is none).
func defaultPublishes(base *scenario.Scenario, beforeDrain bool) []int {
	limit := time.Duration(math.MaxInt64)
	for _, a := range base.Actions {
		if beforeDrain && (a.Drain != nil || a.DrainSub != nil) {
			limit = min(limit, a.At)
		}
	}
	var out []int
	for i, a := range base.Actions {
		if a.Publish != nil && a.At <= limit {
			out = append(out, i)
		}
	}
	return out
}

// MaxRangeCount is the most values an axis written as a range may have.
const MaxRangeCount = 10_000

// rangeSpec is an axis written as from, to, count and scale.
type rangeSpec struct {
	from, to Value
	count    int
	log      bool
}

// values returns count values from from to to, evenly spaced on a linear
// or logarithmic scale; inner values of a log range are rounded to three
// significant digits, so that labels stay readable.
func (r rangeSpec) values(mk func(float64) Value) ([]Value, error) {
	lo, hi := r.from.Num, r.to.Num
	switch {
	case hi <= lo:
		return nil, fmt.Errorf("range to %s must be greater than from %s", r.to.Label, r.from.Label)
	case r.log && lo <= 0:
		return nil, fmt.Errorf("a log range must start above 0, got from %s", r.from.Label)
	}
	out := []Value{r.from}
	for i := 1; i < r.count-1; i++ {
		f := float64(i) / float64(r.count-1)
		x := lo + (hi-lo)*f
		if r.log {
			x = roundSig(lo*math.Pow(hi/lo, f), 3)
		}
		v := mk(x)
		if v.Label == out[len(out)-1].Label {
			return nil, fmt.Errorf("range from %s to %s in %d steps repeats %s: use a smaller count", r.from.Label, r.to.Label, r.count, v.Label)
		}
		out = append(out, v)
	}
	return append(out, r.to), nil
}

// roundSig rounds x > 0 to n significant digits.
func roundSig(x float64, n int) float64 {
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(x)))
	return math.Round(x*p) / p
}

// cellSpec is what one cell runs: the base scenario and profile with the
// cell's axis values applied. Cells share nothing they change.
type cellSpec struct {
	sc   *scenario.Scenario
	prof *model.Profile
}

// publish returns the cell's own copy of the publish of action i.
func (c *cellSpec) publish(i int) *scenario.Publish {
	p := *c.sc.Actions[i].Publish
	c.sc.Actions[i].Publish = &p
	return &p
}

// cell returns the scenario and profile of the cell with the given value
// index per axis.
func (sw *Sweep) cell(idx []int) *cellSpec {
	sc := *sw.Base
	sc.Clients = slices.Clone(sc.Clients)
	sc.Subs = slices.Clone(sc.Subs)
	sc.Actions = slices.Clone(sc.Actions)
	var prof model.Profile // set by a profile axis when the base's is unknown
	if p, err := model.LookupProfile(sc.Profile); err == nil {
		prof = *p
	}
	c := &cellSpec{sc: &sc, prof: &prof}
	for _, profileFirst := range []bool{true, false} {
		for i, ax := range sw.Axes {
			if (ax.Name == "profile") == profileFirst {
				ax.kind.apply(c, ax, ax.Values[idx[i]])
			}
		}
	}
	return c
}

// cellIndex returns the value index per axis of cell i: the last axis
// varies fastest.
func cellIndex(sizes []int, i int) []int {
	idx := make([]int, len(sizes))
	for a := len(sizes) - 1; a >= 0; a-- {
		idx[a] = i % sizes[a]
		i /= sizes[a]
	}
	return idx
}

// describeWait says what wait axis ax measures in base, for the report:
// "from subscribe q3 (actions[1], at 10ms) to drain_sub q1 (actions[2])".
func describeWait(base *scenario.Scenario, ax *Axis) string {
	ref := &base.Actions[ax.After]
	var to []string
	for _, i := range ax.Actions {
		to = append(to, fmt.Sprintf("%s (actions[%d])", actionWhat(&base.Actions[i]), i))
	}
	return fmt.Sprintf("from %s (actions[%d], at %v) to %s", actionWhat(ref), ax.After, ref.At, strings.Join(to, ", "))
}

// actionWhat names an action by its verb and the subscription or client it
// acts on, e.g. "subscribe q3", "drain old"; other verbs by the verb alone.
func actionWhat(a *scenario.Action) string {
	switch {
	case a.Subscribe != nil:
		return "subscribe " + a.Subscribe.Sub
	case a.Unsubscribe != nil:
		return "unsubscribe " + a.Unsubscribe.Sub
	case a.DrainSub != nil:
		return "drain_sub " + a.DrainSub.Sub
	case a.Drain != nil:
		return "drain " + a.Drain.Client
	case a.Close != nil:
		return "close " + a.Close.Client
	}
	return a.Kind()
}

// describeAxis renders the axis for a fingerprint: its name, targets and
// value labels.
func describeAxis(ax *Axis) string {
	var b strings.Builder
	b.WriteString(ax.Name + " clients=" + strings.Join(ax.Clients, ",") + " subs=" + strings.Join(ax.Subs, ",") + " actions=")
	for _, a := range ax.Actions {
		b.WriteString(strconv.Itoa(a) + ",")
	}
	if ax.Name == WaitAxis {
		b.WriteString(" after=" + strconv.Itoa(ax.After))
	}
	for _, v := range ax.Values {
		b.WriteString(" " + strconv.Quote(v.Label))
	}
	return b.String()
}
