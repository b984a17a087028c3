package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	{"sync-sub-burst-over-limit.yaml", "a burst overflows a sync sub's pending limit before the waiting NextMsg lowers the count (swarm-4273)", true},
	{"sync-waiters-fifo.yaml", "two NextMsg calls waiting on one sync sub get one message each, the longest waiting first (swarm-11188)", true},
	{"bandwidth-drain-timeout.yaml", "bandwidth: the barrier's PONG waits behind a backlog on the subscriber's link, the drain times out", true},
	{"bandwidth-final-flush-loses.yaml", "bandwidth: the final flush times out behind the backlog, the close loses what is still crossing", false},
	{"auto-unsubscribe-waiting-nextmsg.yaml", "AutoUnsubscribe after delivery: a waiting NextMsg gets ErrBadSubscription, the next ErrMaxMessages (swarm-8486)", true},
	{"trigger-drain-in-callback.yaml", "once the callback is entered, drain (an event-triggered action)", true},
	{"trigger-publish-after-reconnect.yaml", "after the reconnect, publish (an event-triggered action)", true},
	{"trigger-publish-draining-pubs.yaml", "when the status becomes DRAINING_PUBS, publish: refused; once CLOSED, refused as closed", true},
	{"close-during-final-flush.yaml", "the final flush failing without a disconnect: Close while it waits (ErrConnectionClosed, last error only)", true},
	{"auto-unsubscribe-after-drain.yaml", "AutoUnsubscribe during a drain: the limit applies, the queued rest is dropped", true},
	{"final-flush-timeout.yaml", "the final flush timing out without a disconnect: a 3 s link, ErrTimeout after 5 s, closed anyway", false},
	{"chan-sub-drain.yaml", "a chan subscription's drain ends after its barrier with messages still in the channel, which stay readable (nats.go #1446)", true},
	{"chan-sub-full.yaml", "a full channel drops as a slow consumer (one ErrSlowConsumer); a chan sub's max removes it as the message enters the channel", true},
	{"sub-status-events.yaml", "subscription status events: Active, SlowConsumer, Active again while draining, Draining per Drain call, one Closed; none at a close", true},
	{"double-drain-sync-chan.yaml", "a double drain of a sync and of a chan subscription calls each closed handler twice", true},
	{"reconnect-buffer-overflow-drain.yaml", "the reconnect buffer overflowing (ErrReconnectBufExceeded) around a drain: discarded by a drain while reconnecting, sent by the reconnect before a later drain", true},
	{"sub-drain-barrier-timeout.yaml", "the subscription drain's barrier timing out (6 s link): the sub goes at 10 s, a message the server sent before the UNSUB arrives after and is lost", false},
	{"callback-outlives-close-publishes.yaml", "a callback that outlives Close (and a timed-out drain's close) replies and publishes: ErrConnectionClosed", true},
	{"sub-counters.yaml", "Pending() and Delivered() of async, sync and chan subscriptions around a drain, and after removal", true},
	{"stale-connection-drain.yaml", "the PING timer over stalled links: stale and closed, stale and reconnected, never stale while draining (virtual time only)", true},
	{"drain-during-first-connect.yaml", "Drain while the first connect is in progress (RetryOnFailedConnect): ErrConnectionReconnecting, closed; a first connect without a reconnected callback", true},
	{"pending-bytes-headers.yaml", "pending-bytes limits count message headers in v1.55: two slow-consumer drops, three handled", true},
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

// TestConformance plays the whole corpus on the model and on the real
// nats.go and nats-server in virtual time (vnet_test.go) and compares them;
// it takes a few seconds. With -v it prints the table.
func TestConformance(t *testing.T) {
	start := time.Now()
	rows := conformAll(t, entries(t, true), virtualTime)
	t.Logf("the corpus in virtual time: %s of wall time", time.Since(start).Round(time.Millisecond))
	var b strings.Builder
	writeTable(&b, rows)
	t.Log("\n" + b.String())
}

// TestRealTime plays the corpus on the real stack in real time, through TCP
// relays (DRAINSIM_CONFORMANCE=quick: the quick subset, about 20 s;
// =full: all of it, about 75 s; unset: skipped), compares each real-time
// run with the model, and checks that the virtual-time runner agrees with
// the real-time one: the virtual run's outcome is compared with the
// real-time run's, under the same tolerance, where the real-time run was
// not disturbed. With -v it prints the table.
func TestRealTime(t *testing.T) {
	mode := os.Getenv("DRAINSIM_CONFORMANCE")
	if mode != "quick" && mode != "full" {
		t.Skip("the real-time runner runs with DRAINSIM_CONFORMANCE=quick or full")
	}
	start := time.Now()
	es := slices.DeleteFunc(entries(t, mode == "full"), func(e entry) bool {
		sc, err := scenario.Load(e.path)
		require.NoError(t, err)
		if stalls(sc) {
			t.Logf("%s: left out, the real-time relay cannot stall a link (virtual-time runner only)", sc.Name)
		}
		return stalls(sc)
	})
	rows := conformAll(t, es, realTime)
	t.Logf("the corpus in real time: %s of wall time", time.Since(start).Round(time.Millisecond))
	for i, e := range es {
		if rows[i].Disturbed {
			continue
		}
		sc, err := scenario.Load(e.path)
		require.NoError(t, err)
		vv, err := conform(t, sc, virtualTime)
		require.NoError(t, err, e.path)
		if diffs := Compare(vv.Real, rows[i].Real, tolerance); len(diffs) > 0 {
			t.Errorf("%s: the virtual-time run disagrees with the real-time run:\n  %s", sc.Name, strings.Join(diffStrings(diffs), "\n  "))
		}
	}
	var b strings.Builder
	writeTable(&b, rows)
	t.Log("\n" + b.String())
}

// conformAll conforms every entry with runner k, failing t on each
// disagreement that is not down to a busy machine.
func conformAll(t *testing.T, es []entry, k runner) []verdict {
	var rows []verdict
	for _, e := range es {
		sc, err := scenario.Load(e.path)
		require.NoError(t, err)
		v, err := conform(t, sc, k)
		require.NoError(t, err, e.path)
		rows = append(rows, *v)
		switch {
		case len(v.Diffs) == 0:
		case v.Disturbed:
			t.Logf("%s: not judged, the machine kept every real run waiting (clock up to %s late):\n  %s",
				sc.Name, v.Late, strings.Join(diffStrings(v.Diffs), "\n  "))
		default:
			t.Errorf("%s disagrees with the real stack (%s):\n  %s", sc.Name, k, strings.Join(diffStrings(v.Diffs), "\n  "))
		}
	}
	return rows
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

// writeTable prints one line per scenario: whether it agrees (as a tie:
// matching a model variant), the real runs made, the wall times of the
// real and the simulated run and their ratio, and the first difference or
// the variant; then the totals, with how many real runs agree with the
// model with no tolerance at all (a virtual-time run usually does).
func writeTable(b *strings.Builder, rows []verdict) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "%-40s %-9s %4s %12s %10s %9s  %s\n", "scenario", "result", "runs", rows[0].Runner, "simulated", "speed-up", "first difference")
	agree, ties, busy, exact := 0, 0, 0, 0
	var realWall, simWall time.Duration
	for _, v := range rows {
		res, first := "agree", ""
		switch {
		case v.Tie != "":
			res, first = "tie", "matches the model under "+v.Tie
			agree++
			ties++
		case len(v.Diffs) == 0:
			agree++
		case v.Disturbed:
			res, first = "busy", fmt.Sprintf("(clock %s late) %s", v.Late.Round(1e5), v.Diffs[0])
			busy++
		default:
			res, first = "DISAGREE", v.Diffs[0].String()
		}
		if v.Exact {
			exact++
		}
		realWall += v.RealWall
		simWall += v.SimWall
		fmt.Fprintf(b, "%-40s %-9s %4d %12s %10s %8.0fx  %s\n", v.Name, res, v.Attempts,
			v.RealWall.Round(1e5), v.SimWall.Round(1e3), float64(v.RealWall)/float64(v.SimWall), first)
	}
	fmt.Fprintf(b, "%d of %d scenarios agree", agree, len(rows))
	if ties > 0 {
		fmt.Fprintf(b, " (%d as ties)", ties)
	}
	if busy > 0 {
		fmt.Fprintf(b, "; %d not judged: the machine was too busy in every run", busy)
	}
	fmt.Fprintf(b, "; %d at exactly the model's times", exact)
	fmt.Fprintf(b, "; real stack %s, model %s in all\n", realWall.Round(time.Millisecond), simWall.Round(time.Microsecond))
}
