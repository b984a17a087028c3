package model_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// benchScenario is the standard workload: one client with three
// subscriptions on one subject, a backlog of 1,000 messages (each delivered
// to all three), a 100µs handler, then a connection drain.
func benchScenario() *scenario.Scenario {
	sc := &scenario.Scenario{
		Name: "bench", Profile: "go", Seed: 1,
		Limits:  scenario.Limits{MaxTime: 10 * time.Minute, MaxEvents: 50_000_000, MaxRecords: scenario.DefaultMaxRecords},
		Network: scenario.Network{Latency: sim.Dist{Kind: sim.Uniform, A: 200 * time.Microsecond, B: 800 * time.Microsecond}},
		Server:  scenario.Server{NoResponders: true},
		Clients: []scenario.Client{{Name: "app", AllowReconnect: true}},
	}
	for i := 1; i <= 3; i++ {
		sc.Subs = append(sc.Subs, scenario.Subscription{
			ID: fmt.Sprintf("s%d", i), Client: "app", Subject: "work",
			Handler: scenario.Handler{Duration: sim.Dist{Kind: sim.Uniform, A: 50 * time.Microsecond, B: 150 * time.Microsecond}},
		})
	}
	sc.Actions = []scenario.Action{
		{At: 0, Publish: &scenario.Publish{Client: "app", Subject: "work", Count: 1000, Size: 64}},
		{At: time.Millisecond, Drain: &scenario.ClientRef{Client: "app"}},
	}
	return sc
}

// BenchmarkScenario measures whole runs of the standard workload without a
// trace, as sweeps and property runs use the model.
func BenchmarkScenario(b *testing.B) {
	sc := benchScenario()
	b.ReportAllocs()
	var events uint64
	for i := 0; i < b.N; i++ {
		sc.Seed = uint64(i)
		res, err := model.Run(sc, model.Config{})
		if err != nil {
			b.Fatal(err)
		}
		events += res.Stop.Events
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}

// BenchmarkScenarioTraced is the same workload with the full trace recorded,
// as `drainsim run` does.
func BenchmarkScenarioTraced(b *testing.B) {
	sc := benchScenario()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sc.Seed = uint64(i)
		if _, err := model.Run(sc, model.Config{Trace: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

func TestBenchScenarioDrainsEverything(t *testing.T) {
	res, err := model.Run(benchScenario(), model.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"s1", "s2", "s3"} {
		if n := len(res.Sub(id).Handled); n != 1000 {
			t.Errorf("%s handled %d messages, want 1000", id, n)
		}
	}
	if c := res.Conn("app"); c.ClosedAt == model.NoTime || c.DrainTimedOut {
		t.Errorf("drain did not close cleanly: %+v", c)
	}
}
