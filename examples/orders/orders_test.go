// The orders team's own tests of its service's drain, written as a team
// would write them with drainsim's Go API (props/drainsimtest): the
// workload, the DrainTimeout and the expectations live in orders.yaml;
// the test lets rapid perturb it within the file's vary: bounds.
package orders_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/props/drainsimtest"
)

// TestOrdersDrainKeepsItsPromises: under the latencies, handler
// slow-downs, timing jitter and gateway disconnects of orders.yaml's
// vary:, draining instance a loses no order, ends ok within its timeout,
// and a finishes every order published before its drain.
func TestOrdersDrainKeepsItsPromises(t *testing.T) {
	sc := drainsimtest.Load(t, "orders.yaml")
	rapid.Check(t, func(t *rapid.T) {
		drainsimtest.Check(t, drainsimtest.Run(t, drainsimtest.Draw(t, sc)))
	})
}

// shortTimeout is the same property over orders-short-timeout.yaml, whose
// 50 ms DrainTimeout is too short: rapid finds a failing perturbation and
// shrinks it.
func shortTimeout(t *rapid.T, sc *scenario.Scenario) {
	drainsimtest.Check(t, drainsimtest.Run(t, drainsimtest.Draw(t, sc)))
}

// TestShortTimeoutShrinks runs that property under rapid.Check with a
// recording test in place of t, so that the expected failure does not fail
// this test, and asserts what rapid reports: the drain_result expectation
// fails, and the shrunk counterexample it logs is within the file's
// bounds and a single change away from the file (the drain called later,
// as an order arrives). It catches a perturbation that rapid cannot shrink
// back towards the file (e.g. a variation whose zero draw is not "as
// written"). To see rapid's own output, run
// DRAINSIM_SHOW_SHRINK=1 go test ./examples/orders -run TestShortTimeoutRapidOutput.
func TestShortTimeoutShrinks(t *testing.T) {
	sc := drainsimtest.Load(t, "orders-short-timeout.yaml")
	setFlag(t, "rapid.nofailfile", "true") // the failure is expected: keep no fail file
	setFlag(t, "rapid.seed", "1")
	rec := &recorder{name: t.Name()}
	rapid.Check(rec, func(t *rapid.T) { shortTimeout(t, sc) })
	if !rec.failed {
		t.Fatal("rapid found no failing perturbation of orders-short-timeout.yaml")
	}
	if log := strings.Join(rec.logs, "\n"); !strings.Contains(log, "expect[2].drain_result failed") {
		t.Errorf("the failing test's output names no drain_result failure:\n%s", log)
	}
	shrunk, err := scenario.Parse("counterexample.yaml", []byte(rec.lastScenario(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := props.WithinBounds(sc, shrunk); err != nil {
		t.Errorf("the shrunk counterexample leaves the file's bounds: %v", err)
	}
	if c := props.Changes(sc, shrunk); len(c) != 1 || !strings.HasPrefix(c[0], "actions[1] drain at 505ms -> ") {
		t.Errorf("shrunk to changes %q; want one: the drain moved", c)
	}
}

// TestShortTimeoutRapidOutput fails on purpose, to show how rapid reports
// and shrinks the short timeout: it runs only with DRAINSIM_SHOW_SHRINK=1.
func TestShortTimeoutRapidOutput(t *testing.T) {
	if os.Getenv("DRAINSIM_SHOW_SHRINK") == "" {
		t.Skip("fails on purpose to show rapid's output; set DRAINSIM_SHOW_SHRINK=1 to run it")
	}
	setFlag(t, "rapid.nofailfile", "true")
	sc := drainsimtest.Load(t, "orders-short-timeout.yaml")
	rapid.Check(t, func(t *rapid.T) { shortTimeout(t, sc) })
}

// setFlag sets a command-line flag for the test's duration.
func setFlag(t *testing.T, name, value string) {
	old := flag.Lookup(name).Value.String()
	if err := flag.Set(name, value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { flag.Set(name, old) })
}

// recorder is a rapid.TB that records what rapid.Check reports instead of
// failing a test.
type recorder struct {
	name   string
	failed bool
	errors string
	logs   []string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Name() string                 { return r.name }
func (r *recorder) Logf(format string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(format, a...)) }
func (r *recorder) Log(a ...any)                 { r.logs = append(r.logs, fmt.Sprint(a...)) }
func (r *recorder) Skipf(string, ...any)         {}
func (r *recorder) Skip(...any)                  {}
func (r *recorder) SkipNow()                     {}
func (r *recorder) Errorf(format string, a ...any) {
	r.failed = true
	r.errors += fmt.Sprintf(format, a...) + "\n"
}
func (r *recorder) Error(a ...any)                 { r.Errorf("%s", fmt.Sprint(a...)) }
func (r *recorder) Fatalf(format string, a ...any) { r.Errorf(format, a...) }
func (r *recorder) Fatal(a ...any)                 { r.Error(a...) }
func (r *recorder) FailNow()                       { r.failed = true }
func (r *recorder) Fail()                          { r.failed = true }
func (r *recorder) Failed() bool                   { return r.failed }

// lastScenario returns the scenario drainsimtest.Check logged last: the
// shrunk counterexample, which rapid replays last.
func (r *recorder) lastScenario(t *testing.T) string {
	const head = "replay it with drainsim run FILE:\n"
	for i := len(r.logs) - 1; i >= 0; i-- {
		if _, yaml, ok := strings.Cut(r.logs[i], head); ok {
			return yaml
		}
	}
	t.Fatalf("no scenario logged; logs:\n%s", strings.Join(r.logs, "\n"))
	return ""
}
