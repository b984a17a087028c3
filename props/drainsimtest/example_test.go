package drainsimtest_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/props/drainsimtest"
	"github.com/drainsim/drainsim/sim"
)

// A team's property test of its own workload: every perturbation within
// the file's vary: bounds keeps the invariants and the file's expect:.
func Example() {
	// In a _test.go file of the team's module:
	//
	//	func TestOrdersDrain(t *testing.T) { ... }
	//
	// with this body.
	t := &testing.T{} // stands for the test's own t
	sc := drainsimtest.Load(t, "../../examples/orders/orders.yaml")
	rapid.Check(t, func(t *rapid.T) {
		drainsimtest.Check(t, drainsimtest.Run(t, drainsimtest.Draw(t, sc)))
	})
}

// Violations lists what a run fails, for a test that wants to assert on
// it rather than fail: here the short-timeout variant of the orders
// workload with its drain called as an order arrives (the perturbation
// that `drainsim check` shrinks its failures to).
func ExampleViolations() {
	t := &testing.T{}
	sc := drainsimtest.Load(t, "../../examples/orders/orders-short-timeout.yaml")
	late := *sc
	late.Actions = append(late.Actions[:0:0], sc.Actions...)
	late.Actions[1].At += 5_000_000 // 5ms later
	for _, v := range drainsimtest.Violations(drainsimtest.Run(t, &late)) {
		fmt.Println(v.Check, "-", v.Evidence[0])
	}
	// Output:
	// expect[2].drain_result - the drain of client svc-a called at 510.000ms ended with timeout, not ok
	// expect[4].no_async_error - client svc-a: async error ErrDrainTimeout at 560.000ms
}

// Draw's choices can come from any sim.Chooser through props.Perturb: a
// PCG gives the perturbations `drainsim check FILE --seed S` runs.
func ExampleDraw() {
	t := &testing.T{}
	sc := drainsimtest.Load(t, "../../examples/orders/orders.yaml")
	for _, c := range props.Changes(sc, props.Perturb(sim.NewPCG(2), sc)) {
		fmt.Println(c)
	}
	// Output:
	// network latency 500µs -> uniform(2.931ms,3.863ms)
	// subscription a handler duration uniform(2ms,8ms) -> uniform(1.63ms,6.52ms)
	// subscription b handler duration uniform(2ms,8ms) -> uniform(3.04ms,12.16ms)
	// actions[0] publish at 0s -> 6.866ms
	// actions[1] drain at 505ms -> 579.143ms
}
