package model

import (
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestRunsForAsProfileAndHandler: the handler's way of running, decided
// once per subscription (runsFor), is what the profile's EventLoop and the
// handler's Blocking said when startCallback and blocking read them per
// message. It catches runsFor swapping two cases (a blocking handler of a
// threaded client holding a loop it does not have, say) or a response mux
// (no handler) taken for a blocking one.
func TestRunsForAsProfileAndHandler(t *testing.T) {
	for _, eventLoop := range []bool{false, true} {
		p := &Profile{EventLoop: eventLoop}
		for _, spec := range []*scenario.Subscription{nil, {}, {Handler: scenario.Handler{Blocking: true}}} {
			blocking := spec != nil && spec.Handler.Blocking
			runs := runsFor(p, spec)
			if got, want := runs == holdsLoop, blocking && eventLoop; got != want {
				t.Errorf("EventLoop %v, blocking %v: holds the loop %v, want %v", eventLoop, blocking, got, want)
			}
			if got, want := runs == awaitsOnTask || runs == blocksTask, !eventLoop; got != want {
				t.Errorf("EventLoop %v, blocking %v: runs on its task %v, want %v", eventLoop, blocking, got, want)
			}
			if got, want := runs == awaitsOnTask || runs == awaitsOnLoop, !blocking; got != want {
				t.Errorf("EventLoop %v, blocking %v: awaits %v, want %v", eventLoop, blocking, got, want)
			}
		}
	}
}

// TestBindFollowsTheHandler: a callback's service function is finish for
// a handler without actions and serviceDone (the actions, then finish) for
// one with actions, and a callback bound again to a subscription of the
// other kind, as a Runner's reused subscription is, changes it; bound again
// to one of the same kind it keeps it without allocating. It catches bind
// keeping a stale function (the actions of the next run's handler would
// never run; TestRunnerMatchesRun fails too) and bind remaking it every
// run.
func TestBindFollowsTheHandler(t *testing.T) {
	c := new(Conn) // bind takes its world (callback.w)
	plain := &Sub{c: c, spec: &scenario.Subscription{}}
	acting := &Sub{c: c, spec: &scenario.Subscription{Handler: scenario.Handler{
		Actions: []scenario.HandlerAction{{}}}}}
	var cb callback
	for i, s := range []*Sub{plain, acting, acting, plain, nil} {
		if s == nil { // the response mux: no handler
			s = &Sub{c: c, mux: true}
		}
		cb.bind(s)
		if cb.s != s {
			t.Fatalf("bind %d: bound to %p, want %p", i, cb.s, s)
		}
		if want := s.spec == nil || len(s.spec.Handler.Actions) == 0; cb.direct != want {
			t.Errorf("bind %d: direct %v, want %v", i, cb.direct, want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { cb.bind(plain) }); n != 0 {
		t.Errorf("binding again to a handler of the same kind: %v allocations, want 0", n)
	}
}

// TestOverLimitsAsNatsGo: the pending limits as newSub stores them
// (limitOrMax) take a subscription over its limits exactly where nats.go's
// test (a limit of 0 or less is none) does, for every count around each
// limit. It catches limitOrMax keeping 0 or a negative limit (every
// message would be over it) and an off-by-one in overLimits.
func TestOverLimitsAsNatsGo(t *testing.T) {
	limits := []int{-1, 0, 1, 2, 10}
	for _, msgsLim := range limits {
		for _, byteLim := range limits {
			for pMsgs := range 12 {
				for pBytes := range 12 {
					for _, size := range []int{0, 1, 3} {
						s := &Sub{pMsgs: pMsgs, pBytes: pBytes, msgsLim: limitOrMax(msgsLim), byteLim: limitOrMax(byteLim)}
						want := (msgsLim > 0 && pMsgs+1 > msgsLim) || (byteLim > 0 && pBytes+size > byteLim)
						if got := s.overLimits(size); got != want {
							t.Fatalf("limits %d msgs, %d bytes; pending %d msgs, %d bytes; size %d: over %v, want %v",
								msgsLim, byteLim, pMsgs, pBytes, size, got, want)
						}
					}
				}
			}
		}
	}
}
