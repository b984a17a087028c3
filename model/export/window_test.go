package export_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/export"
	"github.com/drainsim/drainsim/sim"
)

// window is 10ms to 40ms of twoClients: wa's first callback (30 ms,
// started at 2 ms) and one of wb end inside it, and callbacks still run
// at its end.
var window = export.Window{From: sim.Time(10 * time.Millisecond), To: sim.Time(40 * time.Millisecond)}

// TestMermaidWindow: only the events in the window, and activations that
// balance: none ended that did not start in the window, every one started
// ended. Catches: no filtering, a deactivate for a callback that started
// before the window (Mermaid rejects it), and activations left open.
func TestMermaidWindow(t *testing.T) {
	tr := run(t, twoClients, 0)
	out := render(t, func(b *bytes.Buffer) error { return export.MermaidWindow(b, tr, window) })
	at := regexp.MustCompile(`: (\d+\.\d+)ms `)
	active, activations, times := 0, 0, 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if m := at.FindStringSubmatch(l); m != nil {
			ms, err := strconv.ParseFloat(m[1], 64)
			require.NoError(t, err)
			require.True(t, ms >= 10 && ms <= 40, "outside the window: %s", l)
			times++
		}
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "activate "):
			active++
			activations++
		case strings.HasPrefix(strings.TrimSpace(l), "deactivate "):
			active--
			require.GreaterOrEqual(t, active, 0, "deactivate without activate: %s", l)
		}
	}
	require.Zero(t, active, "activations left open")
	require.Positive(t, activations)
	require.Greater(t, times, 5)
	require.Contains(t, out, "wa returned msg", "the callback that started before the window still shows its return")
	full := render(t, func(b *bytes.Buffer) error { return export.Mermaid(b, tr) })
	require.Less(t, len(out), len(full))
}

// TestChromeWindow: the window's events, with its spans still closed and
// the callback that started before it begun at the window's first event.
// Catches: an E without its B for that callback.
func TestChromeWindow(t *testing.T) {
	tr := run(t, twoClients, 0)
	evs, _ := checkChrome(t, render(t, func(b *bytes.Buffer) error { return export.ChromeWindow(b, tr, window) }))
	before := 0
	for _, e := range evs {
		ts := e["ts"].(float64)
		require.True(t, ts >= 10000 && ts <= 40000, "outside the window: %v", e)
		if a, ok := e["args"].(map[string]any); ok && a["started_before_window"] == true {
			before++
		}
	}
	require.Positive(t, before)
}
