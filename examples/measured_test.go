package examples_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMeasuredHandler checks the description of measured-handler.yaml:
// with a 2 s DrainTimeout the twenty orders, each taking a duration
// recorded in handler-times.txt, are all handled and the drain does not
// time out.
func TestMeasuredHandler(t *testing.T) {
	res := run(t, "measured-handler.yaml")
	sub, conn := res.Sub("orders"), res.Conn("orders")
	require.Equal(t, 20, sub.NumHandled())
	require.False(t, conn.DrainTimedOut)
	for _, h := range sub.Handled() {
		took := time.Duration(h.End - h.Start)
		require.GreaterOrEqual(t, took, 2500*time.Microsecond, "no recorded duration is shorter")
		require.LessOrEqual(t, took, 263*time.Millisecond, "no recorded duration is longer")
	}
}

// TestSweepMeasuredHandler checks what the sweep's description and the
// docs/scenario-format.md say: a 300 ms DrainTimeout, below the twenty orders' mean of about
// 450 ms, usually loses orders; from 1.5 s none is lost, for the recorded
// durations and for their percentile summary alike. The file of durations
// is found relative to the sweep file.
func TestSweepMeasuredHandler(t *testing.T) {
	rep := summary(t, "sweeps/measured-handler.yaml", 200, 0.01)
	require.Len(t, rep.Series, 2)
	for _, s := range rep.Series {
		for _, c := range s.Cells {
			cell := rep.Cells[c]
			switch d := label(cell, 1); {
			case d == 300*time.Millisecond:
				require.Greater(t, cell.PLoss, 0.5, "%s at %v", s.Label, d)
			case d >= 1500*time.Millisecond:
				require.Zero(t, cell.LossRuns, "%s at %v", s.Label, d)
			}
		}
	}
}
