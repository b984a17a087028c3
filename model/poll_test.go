package model_test

import (
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// TestDrainPollsAllocateOnce: a subscription drain under java polls every
// millisecond while a 2 s callback runs (about 2,000 polls); the poll's
// event is made once per subscription, so a run on a Runner allocates 82
// objects, not some per poll. It catches a new closure per poll (then
// 2,080: two objects a poll, a tenth of a generated scenario's
// objects).
func TestDrainPollsAllocateOnce(t *testing.T) {
	sc, err := scenario.Parse("poll.yaml", []byte(`name: poll
profile: java
clients:
  - name: c0
subscriptions:
  - {id: s0, client: c0, subject: t0, handler: {duration: 2s}}
actions:
  - {at: 0s, publish: {client: c0, subject: t0}}
  - {at: 1ms, drain_sub: {sub: s0}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var r model.Runner
	run := func() {
		res, err := r.Run(sc, model.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if s := res.Subs[0]; s.NumHandled() != 1 {
			t.Fatalf("s0 handled %d messages, want 1", s.NumHandled())
		}
	}
	allocs := testing.AllocsPerRun(5, run)
	t.Logf("%.0f objects a run", allocs)
	if allocs > 400 {
		t.Errorf("a run allocates %.0f objects, want at most 400 (not some per poll)", allocs)
	}
}
