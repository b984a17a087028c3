package examples_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/explore"
	"github.com/drainsim/drainsim/internal/update"
)

func TestBacklog1000(t *testing.T) {
	res := run(t, "backlog-1000.yaml")
	for _, id := range []string{"s1", "s2", "s3"} {
		require.Equal(t, 1000, res.Sub(id).NumHandled(), "%s handles its whole backlog", id)
	}
	c := res.Conn("app")
	require.False(t, c.DrainTimedOut)
	require.NotEqual(t, c.ClosedAt, c.DrainCalledAt)
}

func TestRequestTimeout(t *testing.T) {
	res := run(t, "request-timeout.yaml")
	require.Equal(t, []int{1, 2, 3, 4, 5}, handledIDs(res.Sub("orders")), "every queued order is handled")
	require.Equal(t, 5, res.Sub("audit").NumHandled(), "and published as accepted")
	require.False(t, res.Conn("api").DrainTimedOut)
}

// summary runs a bundled sweep with fewer seeds and summarises it for
// target.
func summary(t *testing.T, file string, seeds int, target float64) *explore.Report {
	t.Helper()
	sw, err := explore.Load(file)
	require.NoError(t, err)
	sw.Seeds = seeds
	res, err := explore.Run(sw, explore.Options{Workers: 2})
	require.NoError(t, err)
	rep, err := explore.Summarize(res, target)
	require.NoError(t, err)
	return rep
}

func label(c explore.CellStats, axis int) time.Duration {
	d, err := time.ParseDuration(c.Values[axis])
	if err != nil {
		panic(err)
	}
	return d
}

// TestSweepRequestTimeout checks what docs/explore.md says of the sweep: a drain
// timeout equal to the request timeout loses work often, and the timeout
// that loses nothing is well above the request timeout.
func TestSweepRequestTimeout(t *testing.T) {
	rep := summary(t, "sweeps/request-timeout.yaml", 400, 0.01)
	require.Len(t, rep.Series, 3)
	for _, s := range rep.Series {
		requestTimeout := label(rep.Cells[s.Cells[0]], 0)
		require.True(t, s.Rec.Found, s.Label)
		rec := label(rep.Cells[s.Rec.Cell], 1)
		require.GreaterOrEqual(t, rec, 3*requestTimeout/2, "%s: recommended %v", s.Label, rec)
		for _, c := range s.Cells {
			cell := rep.Cells[c]
			require.Equal(t, cell.LossRuns, cell.Cut, "%s: every losing run cut an order in flight", s.Label)
			if label(cell, 1) == requestTimeout && requestTimeout <= time.Second {
				require.Greater(t, cell.Low, 0.1, "%s: a drain timeout equal to the request timeout loses often", s.Label)
			}
		}
	}
}

// TestSweepBacklog1000 checks what docs/explore.md says of the standard
// workload: below about 100 ms every run loses messages, from 120 ms none
// does, and many drains that lose nothing still report ErrDrainTimeout.
func TestSweepBacklog1000(t *testing.T) {
	rep := summary(t, "sweeps/backlog-1000.yaml", 100, 0.05)
	for _, s := range rep.Series {
		for _, c := range s.Cells {
			cell := rep.Cells[c]
			switch d := label(cell, 1); {
			case d <= 90*time.Millisecond:
				require.Equal(t, 1.0, cell.PLoss, "%s at %v", s.Label, d)
			case d >= 120*time.Millisecond:
				require.Zero(t, cell.LossRuns, "%s at %v", s.Label, d)
			}
			if d := label(cell, 1); d == 150*time.Millisecond {
				require.Positive(t, cell.Timeouts, "%s: timeouts without loss at %v", s.Label, d)
			}
			require.Zero(t, cell.Silent, "every run that lost messages reported a timeout")
		}
	}
}

// TestTimeoutsActInStepsOfTheConnectionPoll: the connection drain checks
// its deadline every 10 ms, so a DrainTimeout of 85 ms behaves exactly as
// one of 90 ms.
func TestTimeoutsActInStepsOfTheConnectionPoll(t *testing.T) {
	sw, err := explore.Load("sweeps/backlog-1000.yaml")
	require.NoError(t, err)
	sw.Seeds = 20
	sw.Axes[len(sw.Axes)-1].Values = []explore.Value{{Label: "85ms", Num: 85e6}, {Label: "90ms", Num: 90e6}}
	res, err := explore.Run(sw, explore.Options{Workers: 2})
	require.NoError(t, err)
	for c := 0; c < len(res.Cells); c += 2 {
		require.Equal(t, res.Cells[c], res.Cells[c+1])
		require.Positive(t, res.Cells[c].Lost[0])
	}
}

// TestChartsAreCurrent reruns the bundled sweeps in full and compares
// their charts with the committed ones, which a change to the model can
// make stale; -update rewrites them instead. It takes about 45 s on two
// cores (a quarter of go test ./...), so -short skips it.
func TestChartsAreCurrent(t *testing.T) {
	if testing.Short() && !update.Enabled() {
		t.Skip("-short: the sweeps behind the charts take about 45 s")
	}
	files, err := filepath.Glob("sweeps/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		sw, err := explore.Load(f)
		require.NoError(t, err)
		res, err := explore.Run(sw, explore.Options{Workers: runtime.NumCPU()})
		require.NoError(t, err)
		rep, err := explore.Summarize(res, 0)
		require.NoError(t, err)
		var svg bytes.Buffer
		require.NoError(t, rep.WriteSVG(&svg))
		chart := strings.TrimSuffix(f, ".yaml") + ".svg"
		if update.Enabled() {
			require.NoError(t, os.WriteFile(chart, svg.Bytes(), 0o644))
			continue
		}
		old, err := os.ReadFile(chart)
		require.NoError(t, err)
		require.True(t, bytes.Equal(old, svg.Bytes()), "%s is stale: regenerate it with go test ./examples -run TestChartsAreCurrent -update", chart)
	}
}
