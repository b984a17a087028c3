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
// comment). With GOMAXPROCS=1, a goroutine made ready just before a Run
// has run by the time Run returns; a Run of a few microseconds is never
// preempted, and after a collection it allocates too little to start
// another. Catches the yield deleted from Run (the goroutine has not run).
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
	_, err = model.Run(sc, model.Config{})
	require.NoError(t, err)
	require.True(t, ran.Load(), "a goroutine ready before Run ran before it returned")
}
