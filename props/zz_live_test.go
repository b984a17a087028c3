package props

import (
	"math"
	"runtime"
	"testing"

	"github.com/drainsim/drainsim/model"
)

func TestZZLiveHeap(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	cfg := SwarmConfig{SkipKnown: true, DeterminismRuns: 0}
	profiles, _ := cfg.swarmProfiles(model.ProfileNames())
	catalogue()
	targets()
	h0 := heap()
	w := new(swarmWorker)
	for i := 0; i < 3000; i++ {
		cfg.swarmRun(w, &profiles[i%len(profiles)], i/len(profiles))
	}
	h1 := heap()
	cfg.DeterminismRuns = math.MaxInt
	for i := 0; i < 300; i++ {
		cfg.swarmRun(w, &profiles[i%len(profiles)], i/len(profiles))
	}
	h2 := heap()
	t.Logf("base %d KB, worker after plain %d KB, after det %d KB", h0>>10, (h1-h0)>>10, (h2-h0)>>10)
	runtime.KeepAlive(w)
}
