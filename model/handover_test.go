package model

import (
	"runtime"
	"testing"
	"weak"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestHandedOverResultNotKept: once a Runner has handed its last Result
// over (Runner.handOver, as model.Run does), the Runner no longer reaches
// it, so a Result its caller dropped is collected, not held by the pooled
// Runner until its next run's set-up: a million messages' records were
// 120 MB of the heap that the collector's goal doubles. Checked for the
// Result, its ledger, and a subscription's and a connection's records, of
// one server and of a cluster. Catches handOver leaving the World's res
// or ledger, a subscription's, a server subscription's or a connection's
// rec, or the server's subject index's ledger (strs) set.
func TestHandedOverResultNotKept(t *testing.T) {
	cluster, err := scenario.Load("../examples/topology/cluster-queue-drain.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, sc := range map[string]*scenario.Scenario{"one server": scaleLike(3), "cluster": cluster} {
		var r Runner
		res, err := r.Run(sc, Config{})
		if err != nil {
			t.Fatal(err)
		}
		r.handOver()
		kept, ledger := weak.Make(res), weak.Make(res.Ledger)
		sub, conn := weak.Make(res.Subs[0]), weak.Make(res.Conns[0])
		res = nil
		runtime.GC()
		if kept.Value() != nil || ledger.Value() != nil || sub.Value() != nil || conn.Value() != nil {
			t.Errorf("%s: the Runner keeps the handed-over Result (%v), its ledger (%v), a subscription's record (%v) or a connection's (%v)",
				name, kept.Value() != nil, ledger.Value() != nil, sub.Value() != nil, conn.Value() != nil)
		}
		runtime.KeepAlive(&r)
	}
}
