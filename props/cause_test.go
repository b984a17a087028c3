package props

import (
	"testing"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/sim"
)

// TestDropCausesWithinReasons: over generated runs of every profile, the
// cause DropCause finds for each drop is one its reason declares
// (DropReason.Causes), or the server's for a message sent after the UNSUB.
// It fails when a reason's declared causes leave out one the records show
// (removing CauseFault from conn_closed's does: a broken link closes
// connections under their messages), and when the generator reaches no
// drop the application, a fault or the run's end caused.
func TestDropCausesWithinReasons(t *testing.T) {
	seen := map[model.DropCause]int{}
	for _, prof := range model.ProfileNames() {
		p, _ := model.LookupProfile(prof)
		for seed := uint64(1); seed <= 300; seed++ {
			sc := GenProfileScenario(sim.NewPCG(seed), p)
			res, err := model.Run(sc, model.Config{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range res.Ledger.Deliveries {
				d := &res.Ledger.Deliveries[i]
				if d.Fate != model.DlvDropped {
					continue
				}
				cause := DropCause(res, d)
				seen[cause]++
				if !d.Reason.Causes().Has(cause) && !(d.AfterUnsub && cause == model.CauseServer) {
					t.Fatalf("%s seed %d: msg %d dropped (%s) owed to %s, which the reason does not declare\n%s",
						prof, seed, d.Msg, d.Reason, cause, sc.Marshal())
				}
			}
		}
	}
	t.Logf("drops by cause: %v", seen)
	for _, c := range []model.DropCause{model.CauseApplication, model.CauseFault, model.CauseRunEnd, model.CauseDrain} {
		if seen[c] == 0 {
			t.Errorf("no generated drop was owed to %s", c)
		}
	}
}
