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
