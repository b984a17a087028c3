package scenario

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Expectation is one assertion of a scenario's expect: section: what the
// team that wrote the scenario expects of every run of it. `drainsim run`
// reports each one and exits 1 when one fails; `drainsim check FILE`
// checks them on every perturbed run beside the invariants. Package props
// evaluates them (props.Expectations).
type Expectation struct {
	// Kind is the assertion, one of ExpectKinds.
	Kind string
	// Sub and Client name what the assertion is about; "" where it may
	// be left out means every subscription or client.
	Sub, Client string
	// Count is max_loss's largest number of messages lost to drains.
	Count int
	// Result is drain_result's expected result: "ok" or "timeout".
	Result string
	// Within is drain_within's longest time from the drain call to the
	// connection's close.
	Within time.Duration
	Line   int
}

// The kinds of expectation.
const (
	ExpectNoLoss             = "no_loss"              // {sub?}: no message lost or cut by a drain
	ExpectMaxLoss            = "max_loss"             // {count, sub?}: at most count lost or cut
	ExpectHandledBeforeDrain = "handled_before_drain" // {sub}: every message published before the drain was handled
	ExpectDrainResult        = "drain_result"         // {client or sub, result}: the drain signalled ok or timeout
	ExpectDrainWithin        = "drain_within"         // {client, time}: the drained connection closed within time
	ExpectNoAsyncError       = "no_async_error"       // {client?}: no async error callback ran
)

// ExpectKinds lists the kinds of expectation, in the order the docs give
// them.
var ExpectKinds = []string{ExpectNoLoss, ExpectMaxLoss, ExpectHandledBeforeDrain, ExpectDrainResult, ExpectDrainWithin, ExpectNoAsyncError}

// Drain results an expectation may name.
const (
	DrainOK      = "ok"
	DrainTimeout = "timeout"
)

// expectation decodes one item of expect:, a mapping with one kind as its
// only key, or a bare kind for those that need no fields (no_loss,
// no_async_error).
func (d *decoder) expectation(n *yaml.Node, path string) (Expectation, error) {
	e := Expectation{Line: n.Line}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		switch n.Value {
		case ExpectNoLoss, ExpectNoAsyncError:
			e.Kind = n.Value
			return e, nil
		}
		return e, d.errorf(n.Line, path, "%q: want no_loss or no_async_error alone, or a mapping such as {max_loss: {count: 2}} with one of %s",
			n.Value, joinKinds())
	}
	fields, err := d.mapping(n, path, ExpectKinds...)
	if err != nil {
		return e, err
	}
	if len(fields) != 1 {
		return e, d.errorf(n.Line, path, "want exactly one assertion per item (one of %s), got %d", joinKinds(), len(fields))
	}
	f := fields[0]
	e.Kind = f.name
	sub := func(required bool) key {
		return key{"sub", required, func(v *yaml.Node, p string) (err error) { e.Sub, err = d.name(v, p); return }}
	}
	client := func(required bool) key {
		return key{"client", required, func(v *yaml.Node, p string) (err error) { e.Client, err = d.name(v, p); return }}
	}
	switch f.name {
	case ExpectNoLoss:
		err = d.object(f.val, f.path, sub(false))
	case ExpectMaxLoss:
		err = d.object(f.val, f.path, sub(false),
			key{"count", true, func(v *yaml.Node, p string) (err error) { e.Count, err = d.count(v, p, 0); return }})
	case ExpectHandledBeforeDrain:
		err = d.object(f.val, f.path, sub(true))
	case ExpectDrainResult:
		err = d.object(f.val, f.path, client(false), sub(false),
			key{"result", true, func(v *yaml.Node, p string) error {
				s, err := d.scalar(v, p, "ok or timeout", "!!str")
				if err == nil && s != DrainOK && s != DrainTimeout {
					err = d.errorf(v.Line, p, "unknown drain result %q: want ok or timeout", s)
				}
				e.Result = s
				return err
			}})
		switch {
		case err == nil && e.Client == "" && e.Sub == "":
			err = d.errorf(f.line, f.path, "want client (a connection's drain) or sub (a subscription's drain), got neither")
		case err == nil && e.Client != "" && e.Sub != "":
			err = d.errorf(f.line, f.path, "want client (a connection's drain) or sub (a subscription's drain), not both")
		}
	case ExpectDrainWithin:
		err = d.object(f.val, f.path, client(true),
			key{"time", true, func(v *yaml.Node, p string) (err error) { e.Within, err = d.duration(v, p); return }})
	case ExpectNoAsyncError:
		err = d.object(f.val, f.path, client(false))
	}
	return e, err
}

func joinKinds() string { return strings.Join(ExpectKinds, ", ") }

// validateExpect checks that every client and subscription an
// expectation names exists.
func (d *decoder) validateExpect(s *Scenario) error {
	for i, e := range s.Expect {
		p := index("expect", i) + "." + e.Kind
		if e.Client != "" && s.Client(e.Client) == nil {
			return d.errorf(d.expectLine(p+".client", e.Line), p+".client", "%s", unknownName("client", e.Client, clientNames(s)))
		}
		if e.Sub != "" && s.Sub(e.Sub) == nil {
			return d.errorf(d.expectLine(p+".sub", e.Line), p+".sub", "%s", unknownName("subscription", e.Sub, subIDs(s)))
		}
	}
	return nil
}

// expectLine is the line of an expectation's field, or of the item.
func (d *decoder) expectLine(path string, item int) int {
	if l := d.line(path); l > 0 {
		return l
	}
	return item
}

// marshalExpect renders e as one item of expect:.
func marshalExpect(e *Expectation) string {
	var p pairs
	if e.Client != "" {
		p.add("client", quote(e.Client))
	}
	if e.Sub != "" {
		p.add("sub", quote(e.Sub))
	}
	switch e.Kind {
	case ExpectMaxLoss:
		p.add("count", strconv.Itoa(e.Count))
	case ExpectDrainResult:
		p.add("result", e.Result)
	case ExpectDrainWithin:
		p.add("time", duration(e.Within))
	}
	return "{" + e.Kind + ": " + p.flow() + "}"
}
