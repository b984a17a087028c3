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

// TestPlainRunListsNoRecords: a run for a plain Run (run with keepRecords
// false) leaves the Result's connection and subscription records off the
// Runner's recyclers, which handOver would only drop again; a Runner's own
// run lists them for its next run. Catches run listing them regardless (a
// pointer appended and cleared again for every record) and Runner.Run not
// listing them (its next run would allocate new records).
func TestPlainRunListsNoRecords(t *testing.T) {
	for _, keep := range []bool{false, true} {
		var r Runner
		res, err := r.run(scaleLike(3), Config{}, keep)
		if err != nil {
			t.Fatal(err)
		}
		wantSubs, wantConns := 0, 0
		if keep {
			wantSubs, wantConns = len(res.Subs), len(res.Conns)
		}
		if subs, conns := len(r.recycled.subRecs.free), len(r.recycled.connRecs.free); subs != wantSubs || conns != wantConns {
			t.Errorf("keepRecords %v: the recyclers list %d subscription and %d connection records, want %d and %d",
				keep, subs, conns, wantSubs, wantConns)
		}
	}
}
