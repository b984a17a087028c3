package model

import (
	"strconv"
	"strings"
	"time"

	"github.com/drainsim/drainsim/sim"
)

// request is one new-style Request waiting for its reply on the
// connection's response mux subscription.
type request struct {
	c       *Conn
	token   string
	msg     int
	done    func(err string, msg int)
	timer   sim.Timer
	settled bool
	// timeoutFn and onLoopFn are timedOut and timedOutOnLoop, the events
	// of its timeout, bound once per request value: a Runner reuses its
	// requests from run to run (newRequest).
	timeoutFn, onLoopFn func()
}

// newRequest gives c a request with token for done, a value of an
// earlier run where the Runner has one (recyclers.requests), its timeout
// events bound when it was made: a request, its timeout closure and the
// loop event around it were a tenth of the bytes a check scenario
// allocated. A request stays its run's until the run ends, however late
// its cancelled timer or a reply names it.
func (c *Conn) newRequest(token string, done func(err string, msg int)) *request {
	req := c.w.rc.requests.take()
	if req.timeoutFn == nil {
		req.timeoutFn, req.onLoopFn = req.timedOut, req.timedOutOnLoop
	}
	*req = request{c: c, token: token, done: done, timeoutFn: req.timeoutFn, onLoopFn: req.onLoopFn}
	return req
}

// timedOut settles the request with ErrTimeout: no reply came in time.
func (req *request) timedOut() { req.c.settleRequest(req, ErrTimeout) }

// timedOutOnLoop is timedOut as an event of the connection's loop
// (Conn.runOnLoop), under an event-loop profile.
func (req *request) timedOutOnLoop() { req.c.runOnLoop(req.timeoutFn) }

// InboxPrefix begins every request's reply subject: the subjects of the
// connections' response mux subscriptions.
const InboxPrefix = "_INBOX."

func (c *Conn) inboxPrefix() string { return InboxPrefix + "c" + strconv.Itoa(c.idx) + "." }

// Request publishes to subject with a unique reply subject under the
// connection's response mux, creating the mux on first use, and calls done
// with the reply's outcome: "" on a reply, ErrNoResponders, ErrTimeout,
// ErrConnectionClosed, or the publish error.
func (c *Conn) Request(subject string, size int, timeout time.Duration, done func(err string, msg int)) {
	if c.isDraining() && c.w.profile.RequestRefused == RefuseWholeDrain {
		done(ErrConnectionDraining, 0)
		return
	}
	noMux := c.w.profile.RequestRefused == NeverRefused && (c.isDraining() || c.isClosed())
	r := c.rarely()
	if r.respMux == nil && !noMux {
		mux, err := c.subscribe(nil, c.inboxPrefix()+"*", true)
		if err != "" {
			done(err, 0)
			return
		}
		r.respMux = mux
	}
	r.nextToken++
	req := c.newRequest(strconv.Itoa(r.nextToken), done)
	if r.respMap == nil {
		r.respMap = map[string]*request{}
	}
	r.respMap[req.token] = req
	r.requests = append(r.requests, req)
	err, id := c.publish(subject, c.inboxPrefix()+req.token, size, 0, false)
	req.msg = id
	if err != "" {
		c.settleRequest(req, err)
		return
	}
	timedOut := req.timeoutFn
	if c.w.profile.EventLoop {
		timedOut = req.onLoopFn // Conn.onLoop's choice, without its closure
	}
	req.timer = c.w.sim.After(timeout, timedOut)
}

func (c *Conn) settleRequest(req *request, err string) {
	if req.settled {
		return
	}
	req.settled = true
	c.w.sim.Cancel(req.timer)
	delete(c.rare.respMap, req.token) // a request made c's connRare
	c.dropSettled()
	req.done(err, req.msg)
}

// dropSettled counts one more settled request and drops the settled ones
// from c.requests once they are half of it, keeping the order of the
// rest. Removing each request when it settles cost time in proportion to
// the requests pending: 150,000 requests answered took two minutes.
func (c *Conn) dropSettled() {
	q := c.rare // a request made it
	q.settledReqs++
	if 2*q.settledReqs < len(q.requests) {
		return
	}
	kept := q.requests[:0]
	for _, r := range q.requests {
		if !r.settled {
			kept = append(kept, r)
		}
	}
	clear(q.requests[len(kept):])
	q.requests, q.settledReqs = kept, 0
}

// respHandler is the response mux's callback: it completes the request whose
// token ends the reply subject.
func (c *Conn) respHandler(d int32) {
	if c.isClosed() {
		return
	}
	l := c.w.ledger
	m := l.Message(int(l.delivery(d).Msg))
	subject := l.Str(m.Subject)
	token := subject[strings.LastIndexByte(subject, '.')+1:]
	req := c.rare.respMap[token] // the mux's first request made c's connRare
	if req == nil {
		return
	}
	err := ""
	if m.Status == 503 {
		err = ErrNoResponders
	}
	c.settleRequest(req, err)
}

// forgetPendingRequests drops every waiting Request without completing it:
// its timer is cancelled and its caller never hears back
// (Profile.CloseForgetsRequests).
func (c *Conn) forgetPendingRequests() {
	q := c.rare
	if q == nil {
		return // no request was made
	}
	for _, r := range q.requests {
		r.settled = true
		c.w.sim.Cancel(r.timer)
		delete(q.respMap, r.token)
	}
	q.requests, q.settledReqs = nil, 0
}

// clearPendingRequests releases every waiting Request with the profile's
// CloseRequestErr (ErrConnectionClosed by default).
func (c *Conn) clearPendingRequests() {
	err := c.w.profile.CloseRequestErr
	if err == "" {
		err = ErrConnectionClosed
	}
	if c.rare == nil {
		return // no request was made
	}
	reqs := append([]*request(nil), c.rare.requests...)
	for _, r := range reqs {
		c.settleRequest(r, err)
	}
}

// droppedSilently is the lost reason of a publish that a profile drops
// silently (SilentPublishDrop) where it would fail with err,
// ErrConnectionClosed or ErrConnectionDraining: a constant, where
// concatenating it for every such publish was 5 % of the bytes a check
// scenario allocated.
func droppedSilently(err string) string {
	if err == ErrConnectionClosed {
		return "dropped silently: " + ErrConnectionClosed
	}
	return "dropped silently: " + ErrConnectionDraining
}
