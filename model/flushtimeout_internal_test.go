package model

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestFlushTimeoutsOffQueueRunAsQueued runs the conformance and swarm
// scenarios under every profile, traced and not, with a Flush's timeout
// armed by sim.Timeout (flushTimeoutsOffQueue, outside the event queue
// until the clock comes near it) and by After, and wants the same
// records, calls, outcome, handled lists and trace: each timeout that
// fires must fire at the same time and in the same place among the
// events of its instant. The runs with Timeout are on one Runner, whose
// Sim is reset between them. Deliberate break it catches (tried):
// RunUntil not stopping before farAt (Timeout and bound not lowering
// stop). Far's timeouts filed in reverse order and At's heap case filing
// an event at farAt or later before far pass here (these scenarios'
// timeouts that fire are not tied with others) and are caught by the
// kernel's TestTimeoutsMatchReference.
func TestFlushTimeoutsOffQueueRunAsQueued(t *testing.T) {
	files, err := filepath.Glob("../testdata/conformance/*.yaml")
	require.NoError(t, err)
	more, err := filepath.Glob("../testdata/swarm/*.yaml")
	require.NoError(t, err)
	files = append(files, more...)
	defer func(v bool) { flushTimeoutsOffQueue = v }(flushTimeoutsOffQueue)
	var queued, offQueue Runner
	runs := 0
	for _, f := range files {
		sc, err := scenario.Load(f)
		require.NoError(t, err, f)
		for _, name := range ProfileNames() {
			p, err := LookupProfile(name)
			require.NoError(t, err)
			for _, traced := range []bool{false, true} {
				cfg := Config{Profile: p, Trace: traced}
				flushTimeoutsOffQueue = false
				want, ok := reservedResult(t, sc, cfg, queued.Run)
				if !ok {
					continue // a profile refuses a scenario it cannot run
				}
				flushTimeoutsOffQueue = true
				got, _ := reservedResult(t, sc, cfg, offQueue.Run)
				if got != want {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					t.Fatalf("%s under %s (traced %v): timeouts off the queue run otherwise, from %q: got %q, want %q",
						sc.Name, name, traced, got[max(0, i-300):i], got[i:min(len(got), i+200)], want[i:min(len(want), i+200)])
				}
				runs++
			}
		}
	}
	require.Greater(t, runs, 100)
}
