package conformance

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// This file plays the scenario's event-triggered actions (after:) on the
// real stack, as the model does (model/trigger.go): the runner's records
// of the events a trigger may wait for (a callback entered or returned, a
// status change, a subscription closed, the reconnected callback, a call
// returning, a message published) fire the waiting actions, each in a
// goroutine of its own that waits the trigger's delay and then makes the
// action's calls, as a test's callback or status watcher would.

// realTriggers is the triggered actions' state, guarded by realRun.mu.
type realTriggers struct {
	fired    []bool         // per action: its trigger has fired
	bySource map[string]int // "actions[i]" -> i, for returned events
}

// setUpTriggers prepares the trigger state of r's scenario.
func (r *realRun) setUpTriggers() {
	r.trig = realTriggers{fired: make([]bool, len(r.sc.Actions)), bySource: map[string]int{}}
	for i := range r.sc.Actions {
		r.trig.bySource[actionSource(i)] = i
	}
}

// trigger fires every action waiting for an event of kind ev that ok
// matches. Callers hold r.mu (they record the event under it).
func (r *realRun) trigger(ev scenario.Event, ok func(*scenario.Trigger) bool) {
	for i := range r.sc.Actions {
		a := &r.sc.Actions[i]
		t := a.After
		if t == nil || t.Event != ev || r.trig.fired[i] && !t.Every || !ok(t) {
			continue
		}
		r.trig.fired[i] = true
		src := actionSource(i)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if !r.sleep(t.Delay) {
				return
			}
			r.act(src, a, time.Duration(r.now()))
		}()
	}
}

// triggerCallback is the event of a callback of s entered or returned: the
// nth one, on message msg.
func (r *realRun) triggerCallback(ev scenario.Event, s *realSub, nth, msg int) {
	r.trigger(ev, func(t *scenario.Trigger) bool {
		return t.Sub == s.spec.ID && (t.Nth == 0 || t.Nth == nth) && (t.Msg == 0 || t.Msg == msg)
	})
}

// triggerCall is the event of a call returning, and of a publish or reply
// call publishing message msg.
func (r *realRun) triggerCall(source, verb, client, result string, msg int) {
	if i, ok := r.trig.bySource[source]; ok {
		r.trigger(scenario.Returned, func(t *scenario.Trigger) bool { return t.Action == i })
	}
	if (verb == "publish" || verb == "reply") && result == model.OK && msg != 0 {
		r.trigger(scenario.Published, func(t *scenario.Trigger) bool {
			return (t.Client == "" || t.Client == client) && (t.Msg == 0 || t.Msg == msg)
		})
	}
}

// triggerCorpus are the corpus scenarios written with event-triggered
// actions.
var triggerCorpus = []string{
	"trigger-drain-in-callback.yaml",
	"trigger-publish-after-reconnect.yaml",
	"trigger-publish-draining-pubs.yaml",
	"close-during-final-flush.yaml",
	"auto-unsubscribe-after-drain.yaml",
}

// TestTriggersOnRealStack plays the corpus scenarios that use triggers on
// the real nats.go and nats-server in virtual time and checks that each
// agrees with the model, and that every triggered action made its calls on
// the real stack (a runner that ignored after: would make none of them,
// and one that played them at their zero At would make them too early).
//
// With DRAINSIM_CONFORMANCE set (see TestRealTime) it plays them in real
// time through TCP relays as well.
func TestTriggersOnRealStack(t *testing.T) {
	for _, k := range realRunners() {
		for _, f := range triggerCorpus {
			checkCorpusFile(t, f, k)
		}
	}
}

// realRunners are the runners to play the real stack with: in virtual
// time, and with DRAINSIM_CONFORMANCE set in real time too.
func realRunners() []runner {
	if os.Getenv("DRAINSIM_CONFORMANCE") != "" {
		return []runner{virtualTime, realTime}
	}
	return []runner{virtualTime}
}

// checkCorpusFile conforms corpus file f with runner k.
func checkCorpusFile(t *testing.T, f string, k runner) {
	sc, err := scenario.Load(filepath.Join(corpusDir, f))
	require.NoError(t, err)
	v, err := conform(t, sc, k)
	require.NoError(t, err)
	if v.Disturbed {
		t.Logf("%s (%s): not judged, the machine kept every real run waiting (clock up to %s late); differences: %v",
			f, k, v.Late, diffStrings(v.Diffs))
		return
	}
	require.Empty(t, v.Diffs, "%s disagrees with the real stack (%s):\n  %s", f, k, strings.Join(diffStrings(v.Diffs), "\n  "))
	for i, a := range sc.Actions {
		if a.After == nil {
			continue
		}
		src := actionSource(i)
		made := slices.ContainsFunc(v.Real.Outcome.Calls, func(c model.CallOutcome) bool { return c.Source == src && c.AtNS > 0 })
		require.True(t, made, "%s (%s): the real run made no call of triggered %s", f, k, src)
	}
}

// TestFinalFlushTimeout plays the final flush timing out without a
// disconnect (issue 16) on the real stack, as TestTriggersOnRealStack does
// (close-during-final-flush.yaml, the flush failing, is among those).
func TestFinalFlushTimeout(t *testing.T) {
	for _, k := range realRunners() {
		checkCorpusFile(t, "final-flush-timeout.yaml", k)
	}
}
