package props

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

var (
	subLineRE   = regexp.MustCompile(`^subscription .*?\): handled (\d+)(?: \[[^\]]*\])?(?:, in callback at end (\d+) \[[^\]]*\])?, dropped (\d+)`)
	totalLineRE = regexp.MustCompile(`; deliveries (\d+), handled (\d+)(?:, in callback at end (\d+))?`)
)

// TestSummaryCountsAddUp: over generated runs of every profile, the
// printed summary's subscription lines add up to its totals line, and the
// totals are the ledger's: handled, still in a callback and dropped per
// subscription sum to the deliveries. It catches issue 11's double count
// (a callback the close cancelled printed as handled and as dropped, so
// java's and python's lines summed to more than their deliveries), which
// came back when deliveredIDs counted cancelled callbacks as handled.
func TestSummaryCountsAddUp(t *testing.T) {
	cancelled := 0
	for _, prof := range model.ProfileNames() {
		p, _ := model.LookupProfile(prof)
		for seed := uint64(1); seed <= 200; seed++ {
			sc := GenProfileScenario(sim.NewPCG(seed), p)
			res, err := model.Run(sc, model.Config{})
			if err != nil {
				t.Fatal(err)
			}
			o := res.Outcome()
			cancelled += o.Messages.Dropped[model.DropCancelled.String()]
			var b strings.Builder
			if err := o.WriteSummary(&b); err != nil {
				t.Fatal(err)
			}
			var handled, running, dropped, deliveries, totHandled, totRunning int
			for _, line := range strings.Split(b.String(), "\n") {
				if m := subLineRE.FindStringSubmatch(line); m != nil {
					handled += atoi(m[1])
					running += atoi(m[2])
					dropped += atoi(m[3])
				} else if m := totalLineRE.FindStringSubmatch(line); m != nil {
					deliveries, totHandled, totRunning = atoi(m[1]), atoi(m[2]), atoi(m[3])
				}
			}
			inLedger := ledgerCounts(res.Ledger)
			if handled != totHandled || running != totRunning || handled+running+dropped != deliveries ||
				[3]int{totHandled, totRunning, deliveries} != inLedger {
				t.Fatalf("%s seed %d: subscriptions handled %d, in callback %d, dropped %d; totals: deliveries %d, handled %d, "+
					"in callback %d; ledger (handled, in callback, deliveries) %v\n%s", prof, seed, handled, running, dropped,
					deliveries, totHandled, totRunning, inLedger, b.String())
			}
		}
	}
	if cancelled == 0 {
		t.Error("no run had a callback cancelled by the close: the double count is not exercised")
	}
}

// ledgerCounts counts the ledger's handled (or taken), still-in-callback
// and all deliveries.
func ledgerCounts(l *model.Ledger) [3]int {
	var c [3]int
	for i := range l.Deliveries {
		switch l.Deliveries[i].Fate {
		case model.DlvHandled, model.DlvTaken:
			c[0]++
		case model.DlvInCallback:
			c[1]++
		}
	}
	c[2] = len(l.Deliveries)
	return c
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s) // "" (an absent group) counts 0
	return n
}

// TestLedgerConservedOnBudgetStops: ledger-conserved holds on runs a
// small event budget stops midway, on every profile, and on a run whose
// stall holds a message half routed when the budget stops it: the server
// accepted it and committed it to one subscriber (mon) while it waited at
// another's (app's) stall gate, so it is lost in flight with a delivery.
// Counting that as "committed but not routed" (dropping routingCutShort)
// fails it.
func TestLedgerConservedOnBudgetStops(t *testing.T) {
	inv, _ := Lookup("ledger-conserved")
	run := func(what string, sc *scenario.Scenario, budget uint64) *model.Result {
		t.Helper()
		sc.Limits.MaxEvents = budget
		res, err := model.Run(sc, model.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if v := inv.Check(res); len(v) > 0 {
			t.Fatalf("%s, budget %d events: %s\n%s", what, budget, Shorten(v), sc.Marshal())
		}
		return res
	}
	for _, prof := range model.ProfileNames() {
		p, _ := model.LookupProfile(prof)
		for seed := uint64(1); seed <= 200; seed++ {
			for _, budget := range []uint64{10, 60, 300} {
				run(fmt.Sprintf("%s seed %d", prof, seed), GenProfileScenario(sim.NewPCG(seed), p), budget)
			}
		}
	}
	src, err := os.ReadFile("../examples/server-stall-hole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(string(src), "  - name: app\n", "  - name: app\n  - name: mon\n", 1)
	y = strings.Replace(y, "subscriptions:\n", "subscriptions:\n  - {id: mon, client: mon, subject: feed}\n", 1)
	cut := 0
	for budget := uint64(1000); budget < 6000; budget += 50 {
		sc, err := scenario.Parse("stall-two-subscribers.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		res := run("stall-two-subscribers", sc, budget)
		for i := range res.Ledger.Messages {
			if m := &res.Ledger.Messages[i]; routingCutShort(m) && len(res.Ledger.DeliveriesOf(m.ID)) > 0 {
				cut++
			}
		}
	}
	if cut == 0 {
		t.Error("no budget stopped a half-routed message: the case is not exercised")
	}
}
