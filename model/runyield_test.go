package model_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
)

// TestRunYields: a plain Run ends by yielding its processor, so that with
// one processor the collector's mark worker runs between runs (Run's doc
// comment). With GOMAXPROCS=1, a goroutine made ready just before two Runs
// has run by the time they return; a Run of a few microseconds is never
// preempted, and after a collection two allocate too little to start
// another. Two, because one yield in 61 finds the scheduler taking from
// its global queue first, where the yield put the yielding goroutine; the
// next yield then finds the other one first. Catches the yield deleted
// from Run (the goroutine has not run).
func TestRunYields(t *testing.T) {
	sc := parseYAML(t, `
seed: 1
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: work}]
actions: [{at: 0s, publish: {client: app, subject: work, count: 3}}]
`)
	_, err := model.Run(sc, model.Config{}) // warm: the pool's Runner made
	require.NoError(t, err)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.GC()
	var ran atomic.Bool
	go ran.Store(true)
	for range 2 {
		_, err = model.Run(sc, model.Config{})
		require.NoError(t, err)
	}
	require.True(t, ran.Load(), "a goroutine ready before two Runs ran before they returned")
}

// TestLongRunYields checks that a run yields the processor every 4,096
// events (yieldEvery, through sim.SetPause), not only when a plain Run
// ends: with one processor, a long run must let the garbage collector's
// mark worker in (docs/performance-history.md, h34gc). A goroutine that
// counts its turns and yields after each gets about one turn a yield
// (one in ten runs it misses one: the test asks for half); the run is a
// Runner's, which does not yield at its end, and takes ~4 ms, within the
// scheduler's 10 ms preemption. It fails if the Runner does not set the
// pause (then the counter gets no turn: 20 of 20 failed).
func TestLongRunYields(t *testing.T) {
	sc := scaleScenario(40000, 1, 1)
	var r model.Runner
	res, err := r.Run(sc, model.Config{}) // warm: the Runner's memory made
	require.NoError(t, err)
	yields := int64(res.Stop.Events / 4096)
	require.GreaterOrEqual(t, yields, int64(8), "the run is long enough to yield several times")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.GC()
	var turns atomic.Int64
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			turns.Add(1)
			runtime.Gosched()
		}
	}()
	runtime.Gosched() // the counter's first turn, before the run
	base := turns.Load()
	_, err = r.Run(sc, model.Config{})
	require.NoError(t, err)
	got := turns.Load() - base
	stop.Store(true)
	<-done
	t.Logf("%d turns, %d events", got, res.Stop.Events)
	require.GreaterOrEqual(t, got, yields/2, "turns another goroutine had during a run of %d events", res.Stop.Events)
}
