package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
)

// corpusDir holds the hand-written scenarios; generatedDir the ones drawn by
// props.GenScenario (see TestRegenerate).
const (
	corpusDir    = "../testdata/conformance"
	generatedDir = "../testdata/conformance/generated"
)

// corpus lists the hand-written scenarios, the behaviour of the Go profile
// each one pins down, and whether it is in the quick subset.
var corpus = []struct {
	file, covers string
	quick        bool
}{
	{"sub-drain-barrier.yaml", "sub drain barrier: what was routed before the UNSUB is handled, nothing after", true},
	{"sub-drain-poll-grid.yaml", "sub drain completes on the 100 ms grid after its barrier", true},
	{"conn-drain-timeout.yaml", "ErrDrainTimeout, close, dropped remainder", true},
	{"drain-timeout-callback-outlives-close.yaml", "a running callback outlives the closed callback", true},
	{"close-while-callback-runs.yaml", "Close while a callback runs", true},
	{"api-while-draining.yaml", "publish ok in DRAINING_SUBS, refused in DRAINING_PUBS; Subscribe/Unsubscribe refused while draining", true},
	{"auto-unsubscribe-drain.yaml", "AutoUnsubscribe + drain", true},
	{"slow-consumer-drain.yaml", "slow-consumer drops during drain, one async error", true},
	{"drain-while-reconnecting.yaml", "Drain while reconnecting: ErrConnectionReconnecting, closed", true},
	{"disconnect-during-drain.yaml", "disconnect during drain: closed, no reconnect", true},
	{"disconnect-during-final-flush.yaml", "disconnect during the final flush: its error never reaches the callback", true},
	{"request-from-handler-during-drain.yaml", "request from a handler during drain; response mux drained last", true},
	{"queue-group-handoff.yaml", "queue-group handoff while one member drains", true},
	{"sync-sub-drain.yaml", "sync subscription drain waits for NextMsg", true},
	{"double-drain.yaml", "double drain of a connection and of a subscription", true},
	{"drain-timeout-zero.yaml", "DrainTimeout 0", true},
	{"server-restart-then-drain.yaml", "server restart on the same port, reconnect, then drain", true},
	{"sub-drain-while-reconnecting.yaml", "sub drained while reconnecting is re-subscribed and keeps receiving", true},
}

// quickGenerated is how many generated scenarios the quick subset runs.
const quickGenerated = 4

// entry is one scenario to run.
type entry struct {
	path  string
	quick bool
}

// entries returns the scenarios to run: the quick subset, or with full the
// whole corpus.
func entries(t *testing.T, full bool) []entry {
	var out []entry
	for _, c := range corpus {
		if full || c.quick {
			out = append(out, entry{filepath.Join(corpusDir, c.file), c.quick})
		}
	}
	gen, err := filepath.Glob(filepath.Join(generatedDir, "*.yaml"))
	require.NoError(t, err)
	for i, f := range gen {
		if full || i < quickGenerated {
			out = append(out, entry{f, i < quickGenerated})
		}
	}
	return out
}

// TestConformance runs scenarios on the model and on the real stack and
// compares them; `go test ./...` runs the quick subset, and with
// DRAINSIM_CONFORMANCE=full the whole corpus. With -v it prints the table.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("real-stack runs are skipped with -short")
	}
	full := os.Getenv("DRAINSIM_CONFORMANCE") == "full"
	var rows []verdict
	for _, e := range entries(t, full) {
		sc, err := scenario.Load(e.path)
		require.NoError(t, err)
		v, err := conform(sc)
		require.NoError(t, err, e.path)
		rows = append(rows, *v)
		switch {
		case len(v.Diffs) == 0:
		case v.Disturbed:
			t.Logf("%s: not judged, the machine kept every real run waiting (clock up to %s late):\n  %s",
				sc.Name, v.Late, strings.Join(diffStrings(v.Diffs), "\n  "))
		default:
			t.Errorf("%s disagrees with the real stack:\n  %s", sc.Name, strings.Join(diffStrings(v.Diffs), "\n  "))
		}
	}
	var b strings.Builder
	writeTable(&b, rows)
	t.Log("\n" + b.String())
}

func diffStrings(ds []Diff) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// TestCorpusListed keeps the corpus table and the directory in step.
func TestCorpusListed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	require.NoError(t, err)
	var listed, present []string
	for _, c := range corpus {
		listed = append(listed, c.file)
	}
	for _, f := range files {
		present = append(present, filepath.Base(f))
	}
	slices.Sort(listed)
	require.Equal(t, listed, present, "every scenario in %s is listed in corpus, and only those", corpusDir)
	gen, err := filepath.Glob(filepath.Join(generatedDir, "*.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(gen), 50, "at least 50 generated scenarios")
}

// TestCorpusDetermined checks, on the model alone, that every scenario of
// the corpus has an outcome a real run can reproduce: small perturbations
// of the kind a real run adds change nothing the comparison looks at.
func TestCorpusDetermined(t *testing.T) {
	for _, e := range entries(t, true) {
		sc, err := scenario.Load(e.path)
		require.NoError(t, err)
		p, err := Prepare(sc, 1)
		require.NoError(t, err)
		pt, diffs, err := Determined(p, profile(), tolerance)
		require.NoError(t, err)
		require.Empty(t, diffs, "%s is not determined: with %s\n%s", e.path, pt, strings.Join(diffStrings(diffs), "\n"))
	}
}

// writeTable prints one line per scenario: whether it agrees, the real
// runs made, the wall times of the real and the simulated run and their
// ratio, and the first difference.
func writeTable(b *strings.Builder, rows []verdict) {
	fmt.Fprintf(b, "%-40s %-9s %4s %10s %10s %9s  %s\n", "scenario", "result", "runs", "real", "simulated", "speed-up", "first difference")
	agree, busy := 0, 0
	for _, v := range rows {
		res, first := "agree", ""
		switch {
		case len(v.Diffs) == 0:
			agree++
		case v.Disturbed:
			res, first = "busy", fmt.Sprintf("(clock %s late) %s", v.Late.Round(1e5), v.Diffs[0])
			busy++
		default:
			res, first = "DISAGREE", v.Diffs[0].String()
		}
		fmt.Fprintf(b, "%-40s %-9s %4d %10s %10s %8.0fx  %s\n", v.Name, res, v.Attempts,
			v.RealWall.Round(1e6), v.SimWall.Round(1e3), float64(v.RealWall)/float64(v.SimWall), first)
	}
	fmt.Fprintf(b, "%d of %d scenarios agree", agree, len(rows))
	if busy > 0 {
		fmt.Fprintf(b, "; %d not judged: the machine was too busy in every run", busy)
	}
	b.WriteString("\n")
}
