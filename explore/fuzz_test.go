package explore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
)

// FuzzParse checks that the sweep parser never panics, that every error is
// an *scenario.Error, and that every sweep it accepts has increasing
// timeouts last and cells that can be built.
// Run it with: go test -fuzz=FuzzParse ./explore
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("../examples/sweeps/*.yaml")
	require.NoError(f, err)
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("name: s\nscenario: b\naxes: {drain_timeout: {from: 1ms, to: 1s, count: 7, scale: log}, backlog: [1, 2]}\n"))
	f.Add([]byte("name: s\nscenario: b\naxes: {drain_timeout: [1s], handler: {values: [\"exp(1ms)\"], subs: [work]}}\n"))
	f.Add([]byte("name: s\nscenario: b\naxes: {drain_timeout: [1s], publish_rate: {from: 0.5, to: 1e6, count: 3}}\n"))
	f.Add([]byte("name: s\nscenario: b\naxes: {drain_timeout: [1s], at: {from: 0s, to: 9ms, count: 4, actions: [1, 2]}, route_latency: [1ms]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sw, err := parse(t, string(data))
		if err != nil {
			var se *scenario.Error
			require.True(t, errors.As(err, &se), "%T: %v", err, err)
			return
		}
		timeouts := sw.Axes[len(sw.Axes)-1]
		require.Equal(t, TimeoutAxis, timeouts.Name)
		for i := 1; i < len(timeouts.Values); i++ {
			require.Less(t, timeouts.Values[i-1].Num, timeouts.Values[i].Num)
		}
		sizes := make([]int, len(sw.Axes))
		for i, a := range sw.Axes {
			sizes[i] = len(a.Values)
		}
		sw.cell(cellIndex(sizes, 0))
		sw.cell(cellIndex(sizes, sw.NumCells()-1))
	})
}
