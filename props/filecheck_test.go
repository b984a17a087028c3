package props

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// TestCheckFileShortTimeout is the acceptance: the orders workload
// with a too-short drain timeout passes as written but fails check FILE,
// and the shrunk counterexample stays within the declared bounds and is
// one choice from the file: the drain called 5 ms later, as an order
// arrives. It catches a shrinker that leaves the bounds (e.g. one that
// edits the scenario as Shrink does) or does not shrink.
func TestCheckFileShortTimeout(t *testing.T) {
	sc := loadOrders(t, "orders-short-timeout.yaml")
	if res, err := model.Run(sc, model.Config{}); err != nil || len(Expectations(sc)[2].Check(res)) > 0 {
		t.Fatalf("the file as written should pass (err %v)", err)
	}
	rep, err := CheckFile(FileCheckConfig{Scenario: sc, Runs: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range rep.Failures {
		ids = append(ids, f.Check)
		for _, p := range []*scenario.Scenario{f.Original, f.Shrunk} {
			if err := WithinBounds(sc, p); err != nil {
				t.Errorf("%s: counterexample outside the bounds: %v", f.Check, err)
			}
		}
		inv := checkByID(t, sc, f.Check)
		if !Violates(f.Shrunk, inv, 0) {
			t.Errorf("%s: the shrunk counterexample does not fail it", f.Check)
		}
		// It replays as written out: Parse(Marshal) fails the same way.
		again, err := scenario.Parse("replay.yaml", f.Shrunk.Marshal())
		if err != nil || !Violates(again, inv, 0) {
			t.Errorf("%s: the written counterexample does not replay: %v", f.Check, err)
		}
	}
	if !slices.Contains(ids, "expect[2].drain_result") {
		t.Fatalf("failures %v, want expect[2].drain_result", ids)
	}
	f := rep.Failures[slices.Index(ids, "expect[2].drain_result")]
	if got := Changes(sc, f.Shrunk); f.Choices != 1 || len(got) != 1 || !strings.HasPrefix(got[0], "actions[1] drain at 505ms -> ") {
		t.Errorf("shrunk to %d choices, changes %q; want one: the drain moved", f.Choices, got)
	}
	if f.Run == 0 || len(Changes(sc, f.Original)) <= 1 {
		t.Errorf("run %d changed %v: want a perturbation with more than the one change it shrinks to", f.Run, Changes(sc, f.Original))
	}
}

// checkByID returns the check of FileChecks(sc) with the given ID.
func checkByID(t *testing.T, sc *scenario.Scenario, id string) Invariant {
	t.Helper()
	for _, inv := range FileChecks(sc) {
		if inv.ID == id {
			return inv
		}
	}
	t.Fatalf("no check %s", id)
	return Invariant{}
}

// TestCheckFileOrdersHolds: the orders example keeps its expectations
// under every perturbation tried.
func TestCheckFileOrdersHolds(t *testing.T) {
	rep, err := CheckFile(FileCheckConfig{Scenario: loadOrders(t, "orders.yaml"), Runs: 300, Seed: 1, Workers: 2})
	if err != nil || len(rep.Failures) > 0 || rep.Runs != 300 {
		t.Fatalf("runs %d, failures %v, err %v", rep.Runs, rep.Failures, err)
	}
}

// TestCheckFileWorkers: the report is the same for any number of workers.
func TestCheckFileWorkers(t *testing.T) {
	sc := loadOrders(t, "orders-short-timeout.yaml")
	render := func(workers int) string {
		rep, err := CheckFile(FileCheckConfig{Scenario: sc, Runs: 40, Seed: 7, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		fmt.Fprintln(&b, rep.Runs)
		for _, f := range rep.Failures {
			fmt.Fprintln(&b, f.String())
			b.Write(f.Shrunk.Marshal())
		}
		return b.String()
	}
	if one, three := render(1), render(3); one != three {
		t.Errorf("1 worker:\n%s\n3 workers:\n%s", one, three)
	}
}

// TestCheckFileAsWritten: a file that fails as written is reported as run
// 0 with no choices, itself the counterexample.
func TestCheckFileAsWritten(t *testing.T) {
	sc := loadOrders(t, "orders-short-timeout.yaml")
	sc.Actions = slices.Clone(sc.Actions)
	sc.Actions[1].At += 5e6 // the drain as an order arrives
	rep, err := CheckFile(FileCheckConfig{Scenario: sc, Runs: 10})
	if err != nil || len(rep.Failures) == 0 {
		t.Fatalf("failures %v, err %v", rep.Failures, err)
	}
	for _, f := range rep.Failures {
		if f.Run != 0 || f.Choices != 0 || len(Changes(sc, f.Shrunk)) != 0 {
			t.Errorf("%s: run %d, %d choices, changes %v; want the file itself", f.Check, f.Run, f.Choices, Changes(sc, f.Shrunk))
		}
		if s := f.String(); !strings.HasPrefix(s, f.Check+" failed (the file as written): ") {
			t.Errorf("headline %q", s)
		}
	}
}

// TestShrinkTape: the tape shrinker finds the least failing tape of a
// simple predicate; it catches a shrinker that stops early or keeps
// non-failing candidates.
func TestShrinkTape(t *testing.T) {
	fails := func(c []int) ([]int, bool) {
		get := func(i int) int {
			if i < len(c) {
				return c[i]
			}
			return 0
		}
		return c, get(2) >= 7 && get(0)+get(4) >= 3
	}
	got := shrinkTape([]int{9, 4, 100, 8, 50, 3}, fails)
	if want := []int{3, 0, 7}; !slices.Equal(got, want) {
		t.Errorf("shrinkTape = %v, want %v", got, want)
	}
}

// TestUnknownExpectation: an expectation of a kind the parser does not
// know (built in code) fails every run rather than panicking.
func TestUnknownExpectation(t *testing.T) {
	sc := &scenario.Scenario{Expect: []scenario.Expectation{{Kind: "no_surprises"}}}
	if ev := Expectations(sc)[0].Check(&model.Result{}); len(ev) != 1 || !strings.Contains(ev[0], `unknown expectation kind "no_surprises"`) {
		t.Errorf("evidence %q", ev)
	}
}

// TestExpectations checks each kind of expect: assertion, holding and
// failing, with the evidence it gives. Each failing case catches an
// assertion that never fails; each holding one, one that always does.
func TestExpectations(t *testing.T) {
	const base = `name: x
clients: [{name: app, drain_timeout: 10ms}, {name: pub}]
subscriptions: [{id: s, client: app, subject: x, handler: {duration: 30ms}}]
actions:
  - {at: 0s, publish: {client: pub, subject: x, count: 3}}
  - {at: 5ms, drain: {client: app}}
expect:
`
	for _, c := range []struct {
		expect string
		want   string // evidence substring; "" when it holds
	}{
		{"- no_loss", "msg 2 to s dropped (conn_closed)"},
		{"- no_loss: {sub: s}", "msg 1 to s cut"},
		{"- max_loss: {count: 3}", ""},
		{"- max_loss: {count: 2}", "3 lost, more than 2"},
		{"- handled_before_drain: {sub: s}", "msg 2 published at 0.000ms (drain called at 5.000ms): dropped (conn_closed)"},
		{"- drain_result: {client: app, result: timeout}", ""},
		{"- drain_result: {client: app, result: ok}", "ended with timeout, not ok"},
		{"- drain_result: {client: pub, result: ok}", "client pub never drained"},
		{"- drain_within: {client: app, time: 100ms}", ""},
		{"- drain_within: {client: app, time: 5ms}", "more than 5ms"},
		{"- no_async_error: {client: pub}", ""},
		{"- no_async_error", "client app: async error ErrDrainTimeout"},
	} {
		sc, err := scenario.Parse("x.yaml", []byte(base+"  "+c.expect+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := model.Run(sc, model.Config{})
		if err != nil {
			t.Fatal(err)
		}
		ev := strings.Join(Expectations(sc)[0].Check(res), "; ")
		switch {
		case c.want == "" && ev != "":
			t.Errorf("%s fails: %s", c.expect, ev)
		case c.want != "" && !strings.Contains(ev, c.want):
			t.Errorf("%s: evidence %q, want %q", c.expect, ev, c.want)
		}
	}
}
