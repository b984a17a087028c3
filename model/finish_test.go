package model_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// TestFinishCountsAgreeWithRecords: World.finish passes over the records
// only when the ledger counts a message in transit or a pending delivery,
// so the counts must be what the records hold when the run ends, over
// generated scenarios of every profile, with and without each mutation,
// and over generated cluster scenarios. It fails when drop takes a
// delivery off the count without its fate check (twice for one
// delivery), when a cancelled callback puts its delivery back to pending
// without setFate (the count one low), or when newMessage or newDelivery
// does not count.
func TestFinishCountsAgreeWithRecords(t *testing.T) {
	muts := model.Mutations()
	unsettled := 0
	check := func(name string, sc *scenario.Scenario, cfg model.Config) {
		t.Helper()
		kept, counted, err := model.SettleCounts(sc, cfg)
		require.NoError(t, err, name)
		require.Equal(t, counted, kept, "%s: [in transit, pending] counted over the records, then kept by the ledger\n%s", name, sc.Marshal())
		if counted != [2]int{} {
			unsettled++
		}
	}
	// A close cancels running callbacks under java and python: their
	// deliveries go back to pending and are dropped at once.
	for _, name := range []string{"java", "python"} {
		sc := benchScenario()
		sc.Profile = name
		sc.Actions[1] = scenario.Action{At: 3 * time.Millisecond, Close: &scenario.ClientRef{Client: "app"}}
		check(name+" close", sc, model.Config{})
	}
	for i, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for k := range uint64(60) {
			seed := uint64(i)*1000 + k
			sc := props.GenProfileScenario(sim.NewPCG(seed), p)
			check(name, sc, model.Config{})
			check(name, sc, model.Config{Mutations: model.MutationSet(0).With(muts[int(seed)%len(muts)])})
		}
		for k := range uint64(10) {
			check(name+" cluster", props.GenClusterScenario(sim.NewPCG(k), p), model.Config{})
		}
	}
	require.Positive(t, unsettled, "no run ended with a record to settle: the test checks nothing")
}

// TestQueuedMessagesRecordTheirReadTime: a message read into a pending
// queue gets its read time (Delivery.ArrivedAt) when it leaves the queue,
// or at the run's end when it is still queued. Here a run ends at 10ms
// with most of 50 messages, all read by then, still queued: every
// delivery has its read time, after its commit and before its callback.
// It fails when Sub.pop does not write the read time (the handled ones
// have none) or World.finish leaves the queue as it is (the ones still
// queued have none).
func TestQueuedMessagesRecordTheirReadTime(t *testing.T) {
	sc := benchScenario()
	sc.Limits.MaxTime = 10 * time.Millisecond
	sc.Subs = sc.Subs[:1]
	sc.Subs[0].Handler.Duration = sim.Const(time.Millisecond)
	sc.Actions = []scenario.Action{{Publish: &scenario.Publish{Client: "app", Subject: "work", Count: 50, Size: 64}}}
	res, err := model.Run(sc, model.Config{})
	require.NoError(t, err)
	var handled, ended int
	for i, d := range res.Ledger.Deliveries {
		require.NotEqual(t, model.NoTime, d.ArrivedAt, "delivery %d (%v, %v) has no read time", i, d.Fate, d.Reason)
		require.LessOrEqual(t, d.CommittedAt, d.ArrivedAt, "delivery %d read before its commit", i)
		if d.StartedAt != model.NoTime {
			require.LessOrEqual(t, d.ArrivedAt, d.StartedAt, "delivery %d started before it was read", i)
		}
		switch {
		case d.Fate == model.DlvHandled:
			handled++
		case d.Reason == model.DropRunEnded:
			ended++
		}
	}
	require.Positive(t, handled)
	require.Greater(t, ended, 30)
}
