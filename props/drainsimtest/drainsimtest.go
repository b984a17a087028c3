// Package drainsimtest runs drainsim inside an application team's own
// tests: load the team's scenario file, draw a perturbation of it from a
// *rapid.T within the bounds of its vary: section, run it, and fail the
// test once per violated invariant or failed expect: assertion, with a
// message that names it. rapid then shrinks a failure towards the file as
// written, since every choice of the perturbation is a rapid draw whose
// zero leaves the file unchanged.
//
//	func TestDrain(t *testing.T) {
//		sc := drainsimtest.Load(t, "orders.yaml")
//		rapid.Check(t, func(t *rapid.T) {
//			drainsimtest.Check(t, drainsimtest.Run(t, drainsimtest.Draw(t, sc)))
//		})
//	}
//
// This package, with the scenario file format (vary: and expect:
// included), is drainsim's stable Go API for such tests: its functions
// keep their signatures and meaning. See docs/check.md.
package drainsimtest

import (
	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"

	"pgregory.net/rapid"
)

// TB is what the helpers need of a test: *testing.T, *testing.B and
// *rapid.T all have it.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Load reads and validates the scenario file at path, vary: and expect:
// included, and fails t at once if it cannot (the error names the file,
// line and field).
func Load(t TB, path string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load(path)
	if err != nil {
		t.Fatalf("drainsimtest: %v", err)
	}
	return sc
}

// Draw draws from t one perturbation of sc within the bounds of its vary:
// section (props.Perturb): the zero draws give sc itself, so rapid shrinks
// a failing perturbation towards the file. A scenario without vary: is
// returned as written. sc is not modified; treat the result as read-only.
func Draw(t *rapid.T, sc *scenario.Scenario) *scenario.Scenario {
	return props.Perturb(props.RapidChooser(t), sc)
}

// Run runs sc with its own seed, as `drainsim run` does, and fails t at
// once if the model refuses it.
func Run(t TB, sc *scenario.Scenario) *model.Result {
	t.Helper()
	res, err := model.Run(sc, model.Config{})
	if err != nil {
		t.Fatalf("drainsimtest: %v", err)
	}
	return res
}

// Violation is one invariant or expect: assertion that a run fails.
type Violation struct {
	Check     string   // invariant ID, or "expect[i].KIND"
	Statement string   // what it requires
	Evidence  []string // what the run did instead, one line per message or record at fault
}

// Violations returns what res fails, in the order `drainsim check FILE`
// checks it: the invariant catalogue but the known violations of the
// scenario's profile, then the scenario's expectations.
func Violations(res *model.Result) []Violation {
	var out []Violation
	for _, inv := range props.FileChecks(res.Scenario) {
		if ev := inv.Check(res); len(ev) > 0 {
			out = append(out, Violation{Check: inv.ID, Statement: inv.Statement, Evidence: ev})
		}
	}
	return out
}

// Check fails t once per violation of res (t.Errorf, naming the check,
// its statement and the evidence) and, if there is any, logs the run's
// scenario as a file that `drainsim run` replays.
func Check(t TB, res *model.Result) {
	t.Helper()
	vs := Violations(res)
	for _, v := range vs {
		t.Errorf("%s failed: %s: %s", v.Check, v.Statement, props.Shorten(v.Evidence))
	}
	if len(vs) > 0 {
		t.Logf("the failing scenario; save it as FILE and replay it with drainsim run FILE:\n%s", res.Scenario.Marshal())
	}
}
