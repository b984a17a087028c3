package model

import (
	"fmt"
	"testing"
	"time"

	"github.com/drainsim/drainsim/model/scenario"
)

// recycledAllocsPer is how many objects a Runner's run of sc(n)
// allocates per unit of n (a client, a NextMsg call) once an earlier run
// of the same scenario left its memory: the difference between n = 200
// and n = 100, over 100, so that the run's fixed allocations cancel.
func recycledAllocsPer(t *testing.T, sc func(n int) *scenario.Scenario) float64 {
	return recycledAllocsPerWith(t, Config{}, sc)
}

// recycledAllocsPerWith is recycledAllocsPer of runs made with cfg.
func recycledAllocsPerWith(t *testing.T, cfg Config, sc func(n int) *scenario.Scenario) float64 {
	allocs := func(n int) float64 {
		sc := sc(n)
		var r Runner
		run := func() {
			if _, err := r.Run(sc, cfg); err != nil {
				t.Fatal(err)
			}
		}
		run()
		return testing.AllocsPerRun(3, run)
	}
	return (allocs(200) - allocs(100)) / 100
}

// TestRecycledRunAllocsPerClient: a Runner's recycled run allocates at
// most one object per client with a subscription and a publish (the
// server's list of its subject's subscriptions, sublist.add). Catches
// Server.processSub making its subscription record anew (2 a client) and
// the action's call source "actions[i]" formatted every run rather than
// kept in the Runner (World.actionSource: 2 more past the first 64
// actions, 3 a client).
func TestRecycledRunAllocsPerClient(t *testing.T) {
	if per := recycledAllocsPer(t, manyClients); per > 1 {
		t.Errorf("a recycled run allocates %.2f objects a client, want at most 1", per)
	}
}

// TestRecycledDrainAllocsPerClient: a drain action per client (as in
// Scale/clients=1k) allocates nothing per client in a recycled run: the
// drain's lists and continuations are the connection's connDrain from its
// last run, and act records a drain call that returns at once without a
// closure. Catches drainConnection making its snapshot, order or
// continuations per drain (3.5 a client, or 2 with sim.Perm's list alone)
// and act passing DrainCall a closure (1), and act recording its calls
// through a closure over its variables rather than the actCall value its
// callbacks copy.
func TestRecycledDrainAllocsPerClient(t *testing.T) {
	per := recycledAllocsPer(t, func(n int) *scenario.Scenario {
		sc := manyClients(n)
		for _, c := range sc.Clients {
			sc.Actions = append(sc.Actions, scenario.Action{At: time.Millisecond, Drain: &scenario.ClientRef{Client: c.Name}})
		}
		return sc
	})
	if per > 0.5 {
		t.Errorf("a recycled run with drains allocates %.2f objects a client, want none", per)
	}
}

// TestRecycledNextMsgAllocsPerCall: NextMsg calls that wait and time out
// allocate nothing per call in a recycled run: the waiter and its timeout
// are the subscription's from its last run (newNextWait). Catches wait
// making its nextWait or its timeout closure anew (2 a call).
func TestRecycledNextMsgAllocsPerCall(t *testing.T) {
	per := recycledAllocsPer(t, func(calls int) *scenario.Scenario {
		sc, err := scenario.Parse("nextmsg.yaml", []byte(fmt.Sprintf(`
name: nextmsg
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x, type: sync}]
actions:
  - {at: 0s, next_msg: {sub: s, timeout: 1ms, count: %d}}`, calls)))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	})
	if per > 0.5 {
		t.Errorf("a recycled run allocates %.2f objects a NextMsg call, want none", per)
	}
}

// TestRecycledCallbackAllocsPerMessage: a concurrent subscription's
// callbacks allocate nothing per message in a recycled run but the call
// source of their action ("s#n", interned): under ruby-em (concurrent
// callbacks on an event loop) each message's callback, its service
// function and the loop event that ends its time are the Runner's from
// its last run (newCallback, serviceOnLoop), and the reply action's call
// is recorded without a closure. Catches newCallback allocating its
// callback (3 a message with its two bound functions), startCallback
// wrapping the service function with Conn.onLoop (1), runActions
// recording through a closure that its waiting actions capture (1) and
// callbackSource concatenating a formatted count (1 more past n = 99).
func TestRecycledCallbackAllocsPerMessage(t *testing.T) {
	per := recycledAllocsPer(t, func(msgs int) *scenario.Scenario {
		sc, err := scenario.Parse("callbacks.yaml", []byte(fmt.Sprintf(`
name: callbacks
profile: ruby-em
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: x, handler: {duration: 1ms, actions: [{reply: {size: 1}}]}}
actions:
  - {at: 0s, publish: {client: app, subject: x, count: %d}}`, msgs)))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	})
	if per > 1.5 {
		t.Errorf("a recycled run allocates %.2f objects a message, want at most 1 (its call source)", per)
	}
}

// TestRecycledLoopActionAllocsPerCall: under an event-loop profile
// (ruby-em) an action's calls, each an event of its client's loop,
// allocate nothing per call in a recycled run: the loop event is the
// actionRun's fireOnLoop, bound once. Catches the event wrapped anew with
// Conn.onLoop for every call (1 a call).
func TestRecycledLoopActionAllocsPerCall(t *testing.T) {
	per := recycledAllocsPer(t, func(calls int) *scenario.Scenario {
		sc, err := scenario.Parse("loop.yaml", []byte(fmt.Sprintf(`
name: loop
profile: ruby-em
clients: [{name: app}]
actions:
  - {at: 0s, publish: {client: app, subject: x, count: %d, interval: 1ms}}`, calls)))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	})
	if per > 0.5 {
		t.Errorf("a recycled run allocates %.2f objects a call, want none", per)
	}
}

// TestRecycledRequestAllocsPerCall: a request allocates in a recycled run
// only what its subjects cost (its token past 99, its inbox, which the
// ledger interns, and the server's match of the no-responders status to
// that inbox): the request and its timeout events, the loop's one among
// them under ruby-em, and the call that records its return are the
// Runner's from its last run (newRequest, newPendingCall). Catches
// Request making its request anew (3 a call with its two bound timeout
// events), wrapping its timeout in closures (2 under an event loop) and
// act passing Request a closure (1).
func TestRecycledRequestAllocsPerCall(t *testing.T) {
	per := recycledAllocsPer(t, func(calls int) *scenario.Scenario {
		sc, err := scenario.Parse("requests.yaml", []byte(fmt.Sprintf(`
name: requests
profile: ruby-em
clients: [{name: app}]
actions:
  - {at: 0s, request: {client: app, subject: x, timeout: 5ms, count: %d, interval: 1ms}}`, calls)))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	})
	if per > 2.5 {
		t.Errorf("a recycled run allocates %.2f objects a request, want at most 2 (its subjects)", per)
	}
}

// TestRecycledHandlerActionAllocsPerCall: a handler's publish and request
// actions allocate in a recycled run only what each request's subjects
// cost (its token past 99, its inbox, which the ledger interns, and the
// server's match of the no-responders status to that inbox): their
// continuations, the calls an interval apart and the requests' returns
// are an actionWait's events from the Runner's last run (newWait).
// Catches a closure for each publish an interval apart or for the next
// request (1 a call each), a request's return made as a closure (1), and
// the action's continuation made anew (once an action).
func TestRecycledHandlerActionAllocsPerCall(t *testing.T) {
	per := recycledAllocsPer(t, func(calls int) *scenario.Scenario {
		sc, err := scenario.Parse("handler-actions.yaml", []byte(fmt.Sprintf(`
name: handler-actions
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: x, handler: {actions: [
      {publish: {subject: y, count: %[1]d, interval: 1ms}},
      {request: {subject: z, count: %[1]d, interval: 1ms, timeout: 1ms}}]}}
actions:
  - {at: 0s, publish: {client: app, subject: x}}`, calls)))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	})
	if per > 3.5 {
		t.Errorf("a recycled run allocates %.2f objects a publish and request, want at most 3 (the request's subjects)", per)
	}
}

// TestRecycledNextMsgActionAllocs: next_msg actions allocate nothing per
// action in a recycled run: each action's loop of calls is a nextMsgCall
// of the Runner's last run, its done bound once (World.nextMsgCalls).
// Catches nextMsgCalls making its nextMsgCall anew (2 an action with its
// bound done).
func TestRecycledNextMsgActionAllocs(t *testing.T) {
	per := recycledAllocsPer(t, func(n int) *scenario.Scenario {
		sc, err := scenario.Parse("nextmsg.yaml", []byte(`
name: nextmsg
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x, type: sync}]
actions:
  - {at: 0s, next_msg: {sub: s, timeout: 1ms}}`))
		if err != nil {
			t.Fatal(err)
		}
		for range n - 1 {
			sc.Actions = append(sc.Actions, sc.Actions[0])
		}
		return sc
	})
	if per > 0.5 {
		t.Errorf("a recycled run allocates %.2f objects a next_msg action, want none", per)
	}
}

// TestRecycledSilentDropAllocsPerPublish: a publish that ruby-em drops
// silently after close allocates nothing in a recycled run: its lost
// reason is a constant (droppedSilently). Catches the reason concatenated
// for every publish (1 a publish).
func TestRecycledSilentDropAllocsPerPublish(t *testing.T) {
	per := recycledAllocsPer(t, func(n int) *scenario.Scenario {
		sc, err := scenario.Parse("silent.yaml", []byte(fmt.Sprintf(`
name: silent
profile: ruby-em
clients: [{name: app}]
actions:
  - {at: 0s, close: {client: app}}
  - {at: 1ms, publish: {client: app, subject: x, count: %d}}`, n)))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	})
	if per > 0.5 {
		t.Errorf("a recycled run allocates %.2f objects a silently dropped publish, want none", per)
	}
}

// TestRecycledTracedCallAllocs: a traced run (check's determinism
// reruns) records a call with a subscription and a message, five trace
// fields, without allocating in a recycled run: traceCall's field list
// has room for all five on the stack. Catches a list of four (1 a call,
// grown on the heap).
func TestRecycledTracedCallAllocs(t *testing.T) {
	per := recycledAllocsPerWith(t, Config{Trace: true}, func(calls int) *scenario.Scenario {
		sc, err := scenario.Parse("traced.yaml", []byte(fmt.Sprintf(`
name: traced
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x, type: sync}]
actions:
  - {at: 0s, publish: {client: app, subject: x, count: %[1]d}}
  - {at: 1ms, next_msg: {sub: s, timeout: 1ms, count: %[1]d}}`, calls)))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	})
	if per > 0.5 {
		t.Errorf("a recycled traced run allocates %.2f objects a publish and NextMsg call, want none", per)
	}
}
