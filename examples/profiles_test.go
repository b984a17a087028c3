package examples_test

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
	"github.com/drainsim/drainsim/props"
	"github.com/drainsim/drainsim/sim"
)

// runProfile runs a scenario of examples/profiles and checks that it ends
// on its own (unless stuck, for the scenarios of drains that never end)
// and violates exactly the invariants listed, each a known violation of
// its profile.
func runProfile(t *testing.T, file string, stuck bool, violated ...string) *model.Result {
	t.Helper()
	sc, err := scenario.Load(filepath.Join("profiles", file))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Trace: true})
	require.NoError(t, err)
	require.Equal(t, "quiescent", res.Stop.Reason.String(), "the run must end on its own")
	if !stuck {
		for _, c := range res.Conns {
			if c.DrainCalledAt != model.NoTime {
				require.NotEqual(t, model.NoTime, c.ClosedAt, "%s drained and must close", res.Str(c.Client))
			}
		}
	}
	got := props.Violated(res)
	if violated == nil {
		violated = []string{}
	}
	if got == nil {
		got = []string{}
	}
	require.Equal(t, violated, got, "violated invariants")
	for _, id := range got {
		require.True(t, props.IsKnown(sc.Profile, id), "%s under %s is not a known violation", id, sc.Profile)
	}
	return res
}

// call returns the result of the first call with the given source prefix
// and verb.
func call(t *testing.T, res *model.Result, source, verb string) model.CallRecord {
	t.Helper()
	for _, c := range res.Calls() {
		if strings.HasPrefix(res.Str(c.Source), source) && res.Str(c.Verb) == verb {
			return c
		}
	}
	t.Fatalf("no %s call from %s", verb, source)
	return model.CallRecord{}
}

// statusAt returns when the connection entered st, or NoTime.
func statusAt(c *model.ConnRecord, st model.Status) sim.Time {
	for _, s := range c.Status {
		if s.Status == st {
			return s.At
		}
	}
	return model.NoTime
}

const ms = sim.Time(time.Millisecond)

func TestProfileGo(t *testing.T) {
	res := runProfile(t, "go.yaml", false)
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, model.OK, res.Str(call(t, res, "updates#1", "reply").Result), "replies go out while DRAINING_SUBS")
	require.Equal(t, model.OK, res.Str(call(t, res, "actions[0]", "request").Result))
	require.Equal(t, []string{"CONNECTED", "DRAINING_SUBS", "DRAINING_PUBS", "CLOSED"}, statuses(app))
	require.Equal(t, 202*ms, sub.HandledAt(0).End)
	require.Equal(t, 211*ms, statusAt(app, model.DrainingPubs), "noticed on the 10 ms poll after the 100 ms subscription check")
	require.Equal(t, []string{"disconnected", "closed"}, callbackKinds(res, app))
	require.Equal(t, model.OK, res.Str(app.DrainResult))
}

func TestProfileGo153(t *testing.T) {
	res := runProfile(t, "go-1.53.yaml", false, "closed-is-final")
	app := res.Conn("app")
	require.Equal(t, []string{"CONNECTED", "DRAINING_SUBS", "DISCONNECTED", "CLOSED", "DRAINING_PUBS", "CLOSED"}, statuses(app),
		"the drain revives the closed connection (B12)")
	require.Equal(t, 55*ms, statusAt(app, model.DrainingPubs), "on the drain's next 10 ms poll")
	require.Equal(t, 5055*ms, app.Status[len(app.Status)-1].At, "after the 5 s final flush")
	require.Equal(t, model.ErrTimeout, res.Str(app.LastError))
	require.Equal(t, []string{"disconnected", "closed"}, callbackKinds(res, app), "the second close fires no second closed callback")
}

func TestProfileC(t *testing.T) {
	res := runProfile(t, "c.yaml", false)
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, model.OK, res.Str(call(t, res, "updates#1", "reply").Result))
	require.Equal(t, model.OK, res.Str(call(t, res, "actions[0]", "request").Result))
	require.Equal(t, sub.HandledAt(0).End, statusAt(app, model.DrainingPubs), "event-driven: DRAINING_PUBS as the handler returns")
	require.Equal(t, []string{"disconnected", "closed"}, callbackKinds(res, app))
}

func TestProfileJava(t *testing.T) {
	res := runProfile(t, "java.yaml", false)
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, model.OK, res.Str(call(t, res, "updates#1", "reply").Result))
	require.True(t, app.DrainTimedOut)
	require.Equal(t, sub.BarrierAt.Add(100*time.Millisecond), app.DrainDeadline, "the timeout starts after the barrier")
	require.Equal(t, model.ErrDrainTimeout, res.Str(app.DrainResult), "reported as the drain's result (the future completes false)")
	require.Empty(t, res.Str(app.LastError), "and nowhere else")
	require.Equal(t, []string{"closed"}, callbackKinds(res, app), "no async error, and no disconnected callback at close (seen on nats.java 2.26.2)")
	d := res.Ledger.Deliveries[sub.HandledAt(0).Delivery]
	require.Equal(t, model.DropCancelled, d.Reason, "the close interrupts the handler")
	require.Equal(t, app.ClosedAt, d.DroppedAt)
}

func TestProfileNodeV1(t *testing.T) {
	res := runProfile(t, "node-v1.yaml", false, "closed-callback")
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, model.ErrConnectionDraining, res.Str(call(t, res, "updates#1", "reply").Result), "publishes refused from the Drain call on (N1-M1)")
	require.Equal(t, model.ErrTimeout, res.Str(call(t, res, "actions[0]", "request").Result))
	require.Equal(t, model.NoTime, sub.UnsubProcessedAt, "no UNSUB was sent")
	require.Equal(t, "close", res.Str(sub.RemovedBy))
	require.Equal(t, 23*ms, app.ClosedAt, "closed after one PING/PONG")
	require.Less(t, int64(app.ClosedAt), int64(sub.HandledAt(0).End), "while the handler works")
	require.Empty(t, callbackKinds(res, app), "no closed callback (node-nats #210)")
	require.Equal(t, model.OK, res.Str(app.DrainResult), "the drain callback gets no error")
}

func TestProfileNatsJS(t *testing.T) {
	res := runProfile(t, "natsjs.yaml", false, "drain-waits-for-callbacks")
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, model.OK, res.Str(call(t, res, "updates#1", "reply").Result))
	require.Equal(t, model.OK, res.Str(call(t, res, "actions[0]", "request").Result))
	require.Equal(t, "drain", res.Str(sub.RemovedBy))
	require.Equal(t, sub.BarrierAt, sub.RemovedAt, "drained at its barrier's PONG")
	require.Less(t, int64(app.ClosedAt), int64(sub.HandledAt(0).End), "closed while the handler works")
	require.Equal(t, model.NoTime, app.DrainDeadline, "no timeout")
}

func TestProfilePython(t *testing.T) {
	res := runProfile(t, "python.yaml", false)
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, model.OK, res.Str(call(t, res, "updates#1", "reply").Result))
	require.Equal(t, []string{"async_error:ErrDrainTimeout", "disconnected", "closed"}, callbackKinds(res, app))
	d := res.Ledger.Deliveries[sub.HandledAt(0).Delivery]
	require.Equal(t, model.DropCancelled, d.Reason, "the close cancels the running handler")
	require.Equal(t, app.ClosedAt, d.DroppedAt)
}

func TestProfileRubyEM(t *testing.T) {
	res := runProfile(t, "ruby-em.yaml", false)
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, model.OK, res.Str(call(t, res, "updates#1", "reply").Result))
	req := call(t, res, "actions[0]", "request")
	require.Equal(t, model.OK, res.Str(req.Result))
	end := sub.HandledAt(0).End
	require.Equal(t, 202*time.Millisecond, time.Duration(end), "the handler holds the loop 2 ms to 202 ms")
	require.Equal(t, end.Add(2*time.Millisecond), req.ReturnedAt, "the reply is written when the callback returns")
	require.Equal(t, end, app.DrainCalledAt, "the drain due at 5 ms runs when the callback returns")
	require.Equal(t, end.Add(2*time.Millisecond), sub.BarrierAt)
	require.Equal(t, sub.BarrierAt.Add(100*time.Millisecond), sub.RemovedAt, "the first 100 ms tick after the barrier")
	require.Equal(t, sub.RemovedAt, app.ClosedAt, "closed at once: no final flush")
	require.Equal(t, []string{"closed"}, callbackKinds(res, app), "no on_disconnect when closing")

	// No subscription drain in ruby-nats: the same scenario with one is
	// rejected, naming the action; so is a sync subscription.
	data, err := os.ReadFile(filepath.Join("profiles", "ruby-em.yaml"))
	require.NoError(t, err)
	for _, c := range []struct{ add, field, msg string }{
		{"  - {at: 2ms, drain_sub: {sub: updates}}\n", "actions[2].drain_sub", "has no subscription drain"},
		{"  - {at: 2ms, next_msg: {sub: polled, timeout: 1s}}\n", "subscriptions[1].type", "has no sync subscriptions"},
	} {
		text := string(data) + c.add
		if strings.Contains(c.add, "polled") {
			text = strings.Replace(text, "\nactions:\n", "\n  - {id: polled, client: app, subject: polled, type: sync}\nactions:\n", 1)
		}
		sc, err := scenario.Parse("ruby-em.yaml", []byte(text))
		require.NoError(t, err)
		_, err = model.Run(sc, model.Config{})
		require.Error(t, err)
		require.Contains(t, err.Error(), "ruby-em.yaml:")
		require.Contains(t, err.Error(), c.field)
		require.Contains(t, err.Error(), c.msg)
	}
}

func TestProfileCSharpV1(t *testing.T) {
	res := runProfile(t, "csharp-v1.yaml", false, "drain-waits-for-callbacks")
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, model.OK, res.Str(call(t, res, "updates#1", "reply").Result))
	require.Equal(t, "drain", res.Str(sub.RemovedBy))
	require.Less(t, int64(sub.RemovedAt), int64(sub.HandledAt(0).End), "drained once dequeued (CS-M4)")
	require.Less(t, int64(app.ClosedAt), int64(sub.HandledAt(0).End), "closed while the handler works")
}

// TestProfileNodeV1Disconnect: N1-M2, a disconnect during the drain is a
// success, and no callback runs (seen on node-nats 1.4.12).
func TestProfileNodeV1Disconnect(t *testing.T) {
	res := runProfile(t, "node-v1-disconnect.yaml", false, "closed-callback")
	app := res.Conn("app")
	require.Equal(t, 2*ms, app.ClosedAt, "closed at the break")
	require.Equal(t, model.OK, res.Str(app.DrainResult))
	require.Equal(t, app.ClosedAt, app.DrainDoneAt)
	require.Empty(t, callbackKinds(res, app), "neither 'disconnect' nor 'close': close() removed the listeners first")
}

// TestNatsJSDisconnect: a disconnect during the drain (seen on nats
// 2.29.3): the PONG fails at the reconnect attempt, the drain goes on and
// closes on the new link; the publish made while disconnected is lost.
func TestNatsJSDisconnect(t *testing.T) {
	res := runProfile(t, "natsjs-disconnect.yaml", false, "outbound-complete")
	app := res.Conn("app")
	require.Equal(t, []string{"CONNECTED", "DRAINING_SUBS", "DRAINING_PUBS", "CLOSED"}, statuses(app), "stays draining through the reconnect")
	require.Equal(t, []string{"disconnected", "reconnected", "closed"}, callbackKinds(res, app), "no async error, no disconnected at close")
	attempt := statusAt(app, model.DrainingPubs)
	require.GreaterOrEqual(t, int64(attempt), int64(2*time.Second), "the PONG fails only when the attempt starts")
	require.Less(t, int64(attempt), int64(2*time.Second+100*time.Millisecond), "ReconnectWait + jitter after the connect")
	require.Equal(t, attempt, res.Sub("updates").RemovedAt, "the rejected PONG counts as drained")
	require.Equal(t, attempt.Add(4*time.Millisecond), app.ClosedAt, "the final flush on the new link: dial, then PING/PONG")
	pub := call(t, res, "actions[2]", "publish")
	require.Equal(t, model.OK, res.Str(pub.Result), "accepted while disconnected")
	require.Equal(t, model.MsgLostUnsent, res.Ledger.Message(pub.Msg).Fate, "and discarded at the reconnect attempt")
	require.Empty(t, res.Str(app.LastError))
}

// TestInferredPythonDisconnect: PY-M5, the reconnect forgets the drain (seen
// on nats.py 2.15.0, no longer inferred).
func TestInferredPythonDisconnect(t *testing.T) {
	res := runProfile(t, "python-disconnect.yaml", false)
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, []string{"CONNECTED", "DRAINING_SUBS", "RECONNECTING", "CONNECTED", "DRAINING_PUBS", "CLOSED"}, statuses(app))
	require.Equal(t, []int{1}, handledIDs(sub), "the draining subscription was subscribed again and handles a new message")
	require.True(t, app.DrainTimedOut, "the drain's lost PONG holds it until its timeout")
	require.Equal(t, app.DrainCalledAt.Add(2*time.Second), app.DrainDeadline)
}

// TestInferredPythonLateReply (seen on nats.py 2.15.0, no longer inferred):
// the mux drains with the others, so a
// handler's request during the drain gets no reply.
func TestInferredPythonLateReply(t *testing.T) {
	res := runProfile(t, "python-late-reply.yaml", false, "replies-reach-requester")
	req := call(t, res, "orders#1", "request")
	require.Equal(t, model.ErrTimeout, res.Str(req.Result), "the request is sent but its reply is lost")
	reply := res.Ledger.Message(req.Msg + 1)
	require.Equal(t, model.MsgNoInterest, reply.Fate)
	require.Less(t, int64(res.Sub("app.respmux").RemovedAt), int64(reply.AcceptedAt), "the mux was gone")
}

// TestRubyEMDisconnect: RB-M2, a drain that never ends (measured on
// ruby-nats 0.11.2: the client stays draining after the reconnect).
func TestRubyEMDisconnect(t *testing.T) {
	res := runProfile(t, "ruby-em-disconnect.yaml", true, "drain-closes")
	app, sub := res.Conn("app"), res.Sub("updates")
	require.Equal(t, []string{"CONNECTED", "DRAINING_SUBS", "RECONNECTING", "DRAINING_SUBS"}, statuses(app))
	require.Equal(t, model.NoTime, app.DrainDeadline, "the timer was never armed")
	require.Equal(t, model.NoTime, sub.BarrierAt)
	require.Equal(t, []int{1}, handledIDs(sub), "subscribed again, the subscription handles new messages")
}

// TestInferredCSharpDrainReconnecting: Drain while reconnecting proceeds.
func TestInferredCSharpDrainReconnecting(t *testing.T) {
	res := runProfile(t, "csharp-v1-drain-reconnecting.yaml", false)
	app := res.Conn("app")
	require.Equal(t, model.OK, res.Str(call(t, res, "actions[1]", "drain").Result))
	require.Equal(t, []string{"CONNECTED", "RECONNECTING", "DRAINING_SUBS", "DRAINING_PUBS", "CLOSED"}, statuses(app))
	require.Equal(t, []string{"disconnected", "reconnected", "disconnected", "closed"}, callbackKinds(res, app), "the reconnect completes under the drain")
}

// inferredScenarios names, for each inferred behaviour of each profile
// (profile/ID), the scenario of examples/profiles that exposes it; the
// tests above assert the model's current outcome.
var inferredScenarios = map[string]string{
	"csharp-v1/CS-M4":              "csharp-v1.yaml",
	"csharp-v1/drain-reconnecting": "csharp-v1-drain-reconnecting.yaml",
}

// TestEveryInferredBehaviourHasAScenario: each inferred behaviour of each
// profile has a scenario, and running it flags the behaviour in the
// outcome.
func TestEveryInferredBehaviourHasAScenario(t *testing.T) {
	n := 0
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		for _, inf := range p.Inferred {
			n++
			file, ok := inferredScenarios[name+"/"+inf.ID]
			require.True(t, ok, "inferred behaviour %s of %s has no scenario", inf.ID, name)
			sc, err := scenario.Load(filepath.Join("profiles", file))
			require.NoError(t, err)
			require.Equal(t, name, sc.Profile, file)
			res, err := model.Run(sc, model.Config{})
			require.NoError(t, err)
			flagged := slices.ContainsFunc(res.Outcome().ProfileInferred, func(o model.InferredOutcome) bool { return o.ID == inf.ID })
			require.True(t, flagged, "%s: the outcome does not flag %s", file, inf.ID)
		}
	}
	require.Len(t, inferredScenarios, n, "a scenario names an inferred behaviour no profile has")
}

// TestOneScenarioPerProfile: examples/profiles has a scenario named after
// each profile, under that profile.
func TestOneScenarioPerProfile(t *testing.T) {
	for _, name := range model.ProfileNames() {
		sc, err := scenario.Load(filepath.Join("profiles", name+".yaml"))
		require.NoError(t, err, "profile %s has no scenario", name)
		require.Equal(t, name, sc.Profile)
	}
}
