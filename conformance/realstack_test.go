package conformance

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// This file is the real-stack runner: it plays a prepared scenario against
// an embedded nats-server with real nats.go clients, in real time through
// TCP relays or in virtual time through in-memory links (the stack, see
// stack_test.go), and records what happened as a model.Outcome. It lives in
// a test file so that no package a user imports depends on nats.

// keyHeader carries each message's Key.
const keyHeader = "Drainsim-Key"

// realRun is one run in progress.
type realRun struct {
	sc    *scenario.Scenario
	st    stack
	t0    time.Time
	clk   waiter
	stop  chan struct{} // closed at the end of the run: wakes every sleeper
	wg    sync.WaitGroup
	conns []*realConn
	subs  []*realSub // indexed like sc.Subs

	names inboxNames // the clients' response inboxes, for the links' pacers

	restartMu sync.Mutex // held by a restart bringing the server back
	srvMu     sync.Mutex
	srv       *server.Server
	addr      string // where the first server listened ("" in virtual time)

	mu      sync.Mutex // guards what follows, and every recorded outcome
	frozen  bool       // the run is over: record nothing more
	failed  error      // the first failure of the harness itself
	out     model.Outcome
	subOuts []*model.SubOutcome // in subscription order
	keys    map[int]Key
	ids     map[Key]int
	ords    map[string]int // next message ordinal of each callback source
	trig    realTriggers   // the event-triggered actions (realtrigger_test.go)
}

type realConn struct {
	r     *realRun
	spec  *scenario.Client
	out   *model.ConnOutcome
	ln    link
	down  time.Time // the client's network is down until then; under r.srvMu
	nc    *nats.Conn
	bySub map[*nats.Subscription]string // lookups only, under r.mu
}

type realSub struct {
	r    *realRun
	spec *scenario.Subscription
	c    *realConn
	out  *model.SubOutcome
	sub  *nats.Subscription // nil until subscribed; under r.mu
	n    int                // callbacks started; touched by the callback only
	ch   chan *nats.Msg     // a chan subscription's channel, made with it
}

// play plays sc (already Prepared) on stack st until time until of the run
// and returns the recorded outcome with the key of every message ID, and
// the longest the run's clock woke late. The scenario's clients and
// non-deferred subscriptions are set up first; time 0 is when they are.
func play(sc *scenario.Scenario, until time.Duration, st stack) (*Side, time.Duration, error) {
	stop := make(chan struct{})
	r := &realRun{sc: sc, st: st, stop: stop, clk: st.clock(stop), keys: map[int]Key{}, ids: map[Key]int{}, ords: map[string]int{}}
	r.out = model.Outcome{Scenario: sc.Name, File: sc.File, Profile: sc.Profile, Seed: sc.Seed,
		Calls: []model.CallOutcome{}, Invariants: []model.Verdict{}}
	r.setUpTriggers()
	if err := r.startServer(); err != nil {
		return nil, 0, err
	}
	defer r.shutdownServer()
	if err := r.setUp(); err != nil {
		return nil, 0, errors.Join(err, r.tearDown())
	}
	r.t0 = time.Now()
	for _, c := range r.conns {
		r.watchStatus(c)
		if d := c.spec.OfflineUntil; d != nil {
			r.startOffline(c, *d)
		}
	}
	r.wg.Add(1)
	go r.dispatch()
	r.clk.watch(&r.wg)
	r.sleepUntil(until)
	r.mu.Lock()
	r.frozen = true
	for _, c := range r.conns {
		c.out.LastError = errName(c.nc.LastError())
		for _, e := range c.out.AsyncErrors {
			if e.Error == model.ErrDrainTimeout && c.out.Drain != nil {
				c.out.Drain.TimedOut = true
			}
		}
		r.out.Connections = append(r.out.Connections, *c.out)
	}
	for _, s := range r.subOuts {
		r.out.Subscriptions = append(r.out.Subscriptions, *s)
	}
	r.out.Stop = model.StopOutcome{Reason: "real", AtNS: int64(until)}
	r.mu.Unlock()
	if err := r.tearDown(); err != nil {
		return nil, 0, err
	}
	if err := r.failure(); err != nil {
		return nil, 0, err
	}
	// A copy: a pointer into r would keep the whole run alive (nats.go's
	// connections and buffers, the server) as long as the outcome.
	out := r.out
	return &Side{Outcome: &out, Keys: r.keys}, r.clk.worst(), nil
}

// startServer starts the embedded server, on the first one's address if
// there was one.
func (r *realRun) startServer() error {
	s, err := server.NewServer(r.st.serverOptions(r.addr))
	if err != nil {
		return fmt.Errorf("nats-server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		s.Shutdown()
		return errors.New("nats-server: not ready after 5s")
	}
	r.srvMu.Lock()
	r.srv = s
	if a := s.Addr(); a != nil && r.addr == "" {
		r.addr = a.String()
	}
	r.srvMu.Unlock()
	return nil
}

// server returns the server that is up, nil while it restarts.
func (r *realRun) server() *server.Server {
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	return r.srv
}

// takeServer returns the server that is up, if any, and marks it down.
func (r *realRun) takeServer() *server.Server {
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	s := r.srv
	r.srv = nil
	return s
}

func (r *realRun) shutdownServer() {
	if s := r.takeServer(); s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// restartServer stops the server, dropping every connection, and starts it
// again on the same address after d (unless an overlapping restart already
// did: the server is up from the first restart's end, as in the model).
// Meanwhile the links refuse connections, as the stopped server would.
func (r *realRun) restartServer(d time.Duration) error {
	start := time.Now()
	s := r.takeServer() // first, so that no link reopens meanwhile
	// The links break at once, as the model has them: left to the
	// server's shutdown, they would close only at its end, so late that a
	// client's first reconnect attempt could find the server back.
	for _, c := range r.conns {
		c.ln.refuse()
		c.ln.breakLinks()
	}
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
	if !r.sleep(d - time.Since(start)) {
		return nil
	}
	// Two restarts may end at one instant: only one starts a server.
	r.restartMu.Lock()
	var err error
	if r.server() == nil { // else another restart brought it back already
		err = r.startServer()
	}
	r.restartMu.Unlock()
	if err != nil {
		return err
	}
	for _, c := range r.conns {
		if err := r.reopen(c); err != nil {
			return err
		}
	}
	return nil
}

// cut breaks c's connection and keeps its network down for d (a later cut
// sets a new end, as in the model, where the network is down until the
// last disconnect's end); the link takes connections again when the
// network is back, if the server is up. Failing to reopen fails the run.
func (r *realRun) cut(c *realConn, d time.Duration) {
	r.srvMu.Lock()
	c.down = time.Now().Add(d)
	r.srvMu.Unlock()
	c.ln.refuse()
	c.ln.breakLinks()
	time.AfterFunc(d, func() {
		if err := r.reopen(c); err != nil {
			r.fail(err)
		}
	})
}

// startOffline keeps c's network down until d from now (offline_until),
// as a disconnect's outage does.
func (r *realRun) startOffline(c *realConn, d time.Duration) {
	r.srvMu.Lock()
	c.down = time.Now().Add(d)
	r.srvMu.Unlock()
	time.AfterFunc(d, func() {
		if err := r.reopen(c); err != nil {
			r.fail(err)
		}
	})
}

// reopen lets c's link take connections again when both its network and
// the server are up (the model's reachable): a restart that ends during a
// disconnect's outage leaves the link refusing until the outage's end.
func (r *realRun) reopen(c *realConn) error {
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	if r.srv == nil || time.Now().Before(c.down) {
		return nil
	}
	return c.ln.accept()
}

// setUp connects every client through its proxy and subscribes the
// subscriptions that exist at time 0, then flushes.
func (r *realRun) setUp() error {
	for i := range r.sc.Clients {
		spec := &r.sc.Clients[i]
		ln, err := r.st.link(r)
		if err != nil {
			return err
		}
		c := &realConn{r: r, spec: spec, ln: ln, bySub: map[*nats.Subscription]string{},
			out: &model.ConnOutcome{Client: spec.Name, Status: []model.StatusOutcome{{Status: "CONNECTED"}},
				AsyncErrors: []model.ErrorOutcome{}, Callbacks: []model.CallbackOut{},
				DisconnectedN: []int64{}, ReconnectedN: []int64{}, ClosedN: []int64{}}}
		r.conns = append(r.conns, c)
		if spec.OfflineUntil != nil {
			// Its network is down until then (startOffline sets the time):
			// the first connect fails and, with RetryOnFailedConnect,
			// Connect returns the connection RECONNECTING.
			ln.refuse()
			c.out.Status[0].Status = "RECONNECTING"
		}
		if c.nc, err = ln.connect(c.options()); err != nil {
			return fmt.Errorf("connecting %s: %w", spec.Name, err)
		}
	}
	for i := range r.sc.Subs {
		spec := &r.sc.Subs[i]
		s := &realSub{r: r, spec: spec, c: r.conn(spec.Client)}
		r.subs = append(r.subs, s)
		if !spec.Deferred {
			if err := s.subscribe(); err != nil {
				return fmt.Errorf("subscribing %s: %w", spec.ID, err)
			}
		}
	}
	// A round trip takes twice the latency; a link slower than 2.5 s one
	// way (to make a 5 s flush time out) still sets up.
	for _, c := range r.conns {
		if c.spec.OfflineUntil != nil {
			continue // not connected: a flush would wait for the connect
		}
		if err := c.nc.FlushTimeout(5*time.Second + 2*r.sc.Network.Latency.A); err != nil {
			return fmt.Errorf("flushing %s: %w", c.spec.Name, err)
		}
	}
	return nil
}

// tearDown closes everything without recording, wakes every sleeper and
// waits for the runner's goroutines.
func (r *realRun) tearDown() error {
	for _, c := range r.conns {
		if c.nc != nil {
			c.nc.Close()
		}
		c.ln.close()
	}
	close(r.stop)
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("real run: goroutines still running 10s after the end")
	}
}

func (c *realConn) options() []nats.Option {
	r, spec := c.r, c.spec
	p := model.GoProfile
	opts := []nats.Option{
		nats.Name(spec.Name),
		nats.DrainTimeout(p.DrainTimeout),
		nats.ReconnectWait(p.ReconnectWait),
		// The model draws reconnect jitter through its Chooser; both sides
		// run without it so that reconnect times are determined.
		nats.ReconnectJitter(0, 0),
		nats.MaxReconnects(p.MaxReconnect),
		nats.ReconnectBufSize(p.ReconnectBufSize),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			r.record(func() {
				ev := model.CallbackOut{Kind: "async_error", AtNS: r.now(), Error: errName(err), Sub: c.bySub[sub]}
				c.out.Callbacks = append(c.out.Callbacks, ev)
				c.out.AsyncErrors = append(c.out.AsyncErrors, model.ErrorOutcome{AtNS: ev.AtNS, Error: ev.Error, Sub: ev.Sub})
			})
		}),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { c.callback("disconnected", &c.out.DisconnectedN) }),
		nats.ReconnectHandler(func(*nats.Conn) { c.callback("reconnected", &c.out.ReconnectedN) }),
		nats.ClosedHandler(func(*nats.Conn) { c.callback("closed", &c.out.ClosedN) }),
	}
	if rtt := 2 * r.sc.Network.Latency.A; rtt >= nats.DefaultTimeout/2 {
		// nats.go's connect timeout (2 s) bounds the handshake's round
		// trip: a link this slow needs a longer one to connect at all.
		opts = append(opts, nats.Timeout(nats.DefaultTimeout+2*rtt))
	}
	if spec.DrainTimeout != nil {
		opts = append(opts, nats.DrainTimeout(*spec.DrainTimeout))
	}
	if spec.ReconnectWait != nil {
		opts = append(opts, nats.ReconnectWait(*spec.ReconnectWait))
	}
	if spec.MaxReconnect != nil {
		opts = append(opts, nats.MaxReconnects(*spec.MaxReconnect))
	}
	if spec.ReconnectBufSize != nil {
		opts = append(opts, nats.ReconnectBufSize(*spec.ReconnectBufSize))
	}
	if !spec.AllowReconnect {
		opts = append(opts, nats.NoReconnect())
	}
	if spec.NoCallbacksAfterClose {
		opts = append(opts, nats.NoCallbacksAfterClientClose())
	}
	if spec.PingInterval != nil {
		// The timer starts at the connect, before time 0 by the set-up's
		// flushes (a round trip per client); without the option nats.go's
		// own 2-minute timer runs, which the model leaves out.
		opts = append(opts, nats.PingInterval(*spec.PingInterval))
	}
	if spec.MaxPingsOut != nil {
		opts = append(opts, nats.MaxPingsOutstanding(*spec.MaxPingsOut))
	}
	if spec.OfflineUntil != nil {
		opts = append(opts, nats.RetryOnFailedConnect(true))
	}
	return opts
}

func (c *realConn) callback(kind string, times *[]int64) {
	c.r.record(func() {
		at := c.r.now()
		c.out.Callbacks = append(c.out.Callbacks, model.CallbackOut{Kind: kind, AtNS: at})
		*times = append(*times, at)
		if kind == "reconnected" {
			c.r.trigger(scenario.Reconnected, func(t *scenario.Trigger) bool { return t.Client == c.spec.Name })
		}
	})
}

// watchStatus records the connection's status transitions.
func (r *realRun) watchStatus(c *realConn) {
	ch := c.nc.StatusChanged(nats.CONNECTED, nats.DISCONNECTED, nats.CLOSED, nats.RECONNECTING,
		nats.DRAINING_SUBS, nats.DRAINING_PUBS)
	listen(r, ch, func(st nats.Status) {
		r.record(func() {
			at := r.now()
			c.out.Status = append(c.out.Status, model.StatusOutcome{Status: st.String(), AtNS: at})
			r.trigger(scenario.StatusChange, func(t *scenario.Trigger) bool { return t.Client == c.spec.Name && t.Status == st.String() })
			if st == nats.CLOSED && c.out.ClosedNS == nil {
				c.out.ClosedNS = &at
				if c.out.Drain != nil {
					c.out.Drain.ClosedNS = &at
					d := at - c.out.Drain.CalledNS
					c.out.Drain.DurationNS = &d
				}
			}
		})
	})
}

func (r *realRun) conn(name string) *realConn {
	for _, c := range r.conns {
		if c.spec.Name == name {
			return c
		}
	}
	panic("conformance: unknown client " + name + " in a validated scenario")
}

func (r *realRun) sub(id string) *realSub {
	for _, s := range r.subs {
		if s.spec.ID == id {
			return s
		}
	}
	panic("conformance: unknown subscription " + id + " in a validated scenario")
}

// now is the time since the start of the run, in nanoseconds.
func (r *realRun) now() int64 { return int64(time.Since(r.t0)) }

// record runs f under the run's lock unless the run is over.
func (r *realRun) record(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.frozen {
		f()
	}
}

// fail records a failure of the harness (not of the system under test):
// the run's result is then an error.
func (r *realRun) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed == nil {
		r.failed = err
	}
}

// failure returns the first failure of the harness, nil if none.
func (r *realRun) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// sleep is busy for d, precisely, or until the run stops; it reports
// whether the run goes on.
func (r *realRun) sleep(d time.Duration) bool {
	return r.clk.until(time.Now().Add(d))
}

// sleepUntil waits until time at of the run.
func (r *realRun) sleepUntil(at time.Duration) bool {
	return r.clk.until(r.t0.Add(at))
}

// id returns the message ID of key, numbering new keys in order. Callers
// hold r.mu.
func (r *realRun) id(key Key) int {
	if id, ok := r.ids[key]; ok {
		return id
	}
	id := len(r.ids) + 1
	r.ids[key], r.keys[id] = id, key
	return id
}

// nextKey returns the key of the next message a callback source publishes.
func (r *realRun) nextKey(source string) Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.ords[source]
	r.ords[source] = n + 1
	return MessageKey(source, n)
}

// msg builds a message carrying its key.
func msg(subject, reply string, key Key, size int) *nats.Msg {
	return &nats.Msg{Subject: subject, Reply: reply, Header: nats.Header{keyHeader: []string{key}}, Data: make([]byte, size)}
}

// padHeader pads a message's headers to the size a scenario gives them.
const padHeader = "Drainsim-Pad"

// headerLine is the encoded size of one header line, "k: v\r\n".
func headerLine(k, v string) int { return len(k) + len(": ") + len(v) + len("\r\n") }

// msgWithHeaders is msg whose encoded header block (nats.go's
// "NATS/1.0\r\n", one line per header, "\r\n") is exactly hdr bytes: the
// key header and a padding header that makes up the rest, so that the
// message's size counts as the scenario says (pending bytes in v1.55.0
// include the headers). hdr must leave room for the key header.
func msgWithHeaders(subject, reply string, key Key, size, hdr int) (*nats.Msg, error) {
	m := msg(subject, reply, key, size)
	if hdr == 0 {
		return m, nil
	}
	pad := hdr - len("NATS/1.0\r\n") - headerLine(keyHeader, key) - headerLine(padHeader, "") - len("\r\n")
	if pad < 0 {
		return nil, fmt.Errorf("%s: headers %d bytes cannot hold the runner's key header and its padding header (%d bytes at least)", key, hdr, hdr-pad)
	}
	m.Header.Set(padHeader, strings.Repeat("x", pad))
	return m, nil
}

// publishMsg publishes p's message with the key key on c (for subscription
// sub's callback, or "" at the top level), recording the call made at at.
func (r *realRun) publishMsg(src, sub string, c *realConn, p *scenario.Publish, key Key, at int64) {
	m, err := msgWithHeaders(p.Subject, p.Reply, key, p.Size, p.Headers)
	if err != nil {
		r.fail(err)
		return
	}
	r.call(src, "publish", c.spec.Name, sub, at, c.nc.PublishMsg(m), key)
}

// call records one API call. A message key is recorded only when the call
// published or received a message.
func (r *realRun) call(source, verb, client, sub string, at int64, err error, key Key) {
	r.record(func() {
		c := model.CallOutcome{Source: source, Verb: verb, Client: client, Sub: sub, AtNS: at, ReturnedAtNS: r.now(), Result: result(err)}
		if key != "" {
			c.Msg = r.id(key)
		}
		r.out.Calls = append(r.out.Calls, c)
		r.triggerCall(source, verb, client, c.Result, c.Msg)
	})
}

func result(err error) string {
	if err == nil {
		return model.OK
	}
	return errName(err)
}

// errName maps a nats.go error to the model's name for it.
func errName(err error) string {
	if err == nil {
		return ""
	}
	for _, e := range []struct {
		err  error
		name string
	}{
		{nats.ErrConnectionClosed, model.ErrConnectionClosed},
		{nats.ErrConnectionDraining, model.ErrConnectionDraining},
		{nats.ErrConnectionReconnecting, model.ErrConnectionReconnect},
		{nats.ErrDrainTimeout, model.ErrDrainTimeout},
		{nats.ErrTimeout, model.ErrTimeout},
		{nats.ErrBadSubscription, model.ErrBadSubscription},
		{nats.ErrSlowConsumer, model.ErrSlowConsumer},
		{nats.ErrMaxPayload, model.ErrMaxPayload},
		{nats.ErrReconnectBufExceeded, model.ErrReconnectBufExceeded},
		{nats.ErrNoResponders, model.ErrNoResponders},
		{nats.ErrMaxMessages, model.ErrMaxMessages},
		{nats.ErrTypeSubscription, model.ErrTypeSubscription},
		{nats.ErrMsgNoReply, model.ErrMsgNoReply},
		{nats.ErrNoServers, model.ErrNoServers},
		{nats.ErrStaleConnection, model.ErrStaleConnection},
		{io.EOF, model.ErrEOF},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return err.Error()
}

// dispatch fires the scenario's actions at their times; actions due at the
// same time run in file order. Calls that block (requests, flushes, NextMsg,
// publishes spread over an interval, server restarts) get a goroutine each,
// as they would in an application.
func (r *realRun) dispatch() {
	defer r.wg.Done()
	order := make([]int, len(r.sc.Actions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(r.sc.Actions[a].At, r.sc.Actions[b].At)
	})
	for _, i := range order {
		a := &r.sc.Actions[i]
		if a.After != nil {
			continue // its event fires it (realtrigger_test.go)
		}
		if !r.sleepUntil(a.At) {
			return
		}
		src := actionSource(i)
		if p := a.Publish; p != nil && p.Count > 1 && p.Interval > 0 || a.Request != nil || a.Flush != nil || a.NextMsg != nil || a.RestartServer != nil {
			r.wg.Add(1)
			go func() { defer r.wg.Done(); r.act(src, a, a.At) }()
			continue
		}
		r.act(src, a, a.At)
	}
}

// actionSource is the Source of the calls of actions[i].
func actionSource(i int) string { return "actions[" + strconv.Itoa(i) + "]" }

// act performs action a (all of its calls), which starts at time start of
// the run: its At, or for a triggered action when its trigger's delay ran
// out.
func (r *realRun) act(src string, a *scenario.Action, start time.Duration) {
	switch {
	case a.Publish != nil:
		p := a.Publish
		c := r.conn(p.Client)
		for k := 0; k < max(p.Count, 1); k++ {
			if k > 0 && p.Interval > 0 && !r.sleepUntil(start+time.Duration(k)*p.Interval) {
				return
			}
			key, at := MessageKey(src, k), r.now()
			r.publishMsg(src, "", c, p, key, at)
		}
	case a.Request != nil:
		q := a.Request
		c := r.conn(q.Client)
		var wg sync.WaitGroup
		for k := 0; k < max(q.Count, 1); k++ {
			if k > 0 && !r.sleepUntil(start+time.Duration(k)*q.Interval) {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				key, at := MessageKey(src, k), r.now()
				_, err := c.nc.RequestMsg(msg(q.Subject, "", key, q.Size), q.Timeout)
				r.call(src, "request", q.Client, "", at, err, key)
			}()
		}
		wg.Wait()
	case a.Flush != nil:
		at := r.now()
		r.call(src, "flush", a.Flush.Client, "", at, r.conn(a.Flush.Client).nc.FlushTimeout(a.Flush.Timeout), "")
	case a.Subscribe != nil:
		s := r.sub(a.Subscribe.Sub)
		at := r.now()
		r.call(src, "subscribe", s.spec.Client, s.spec.ID, at, s.subscribeDeferred(), "")
	case a.Unsubscribe != nil:
		s := r.sub(a.Unsubscribe.Sub)
		s.unsubscribe(src, s.spec.ID)
	case a.AutoUnsubscribe != nil:
		s := r.sub(a.AutoUnsubscribe.Sub)
		s.subCall(src, "auto_unsubscribe", s.spec.ID, func(sub *nats.Subscription) error {
			return sub.AutoUnsubscribe(a.AutoUnsubscribe.Max)
		}, nil)
	case a.DrainSub != nil:
		s := r.sub(a.DrainSub.Sub)
		s.drain(src, s.spec.ID)
	case a.Drain != nil:
		r.conn(a.Drain.Client).drain(src, "")
	case a.Close != nil:
		at := r.now()
		r.conn(a.Close.Client).nc.Close()
		r.call(src, "close", a.Close.Client, "", at, nil, "")
	case a.NextMsg != nil:
		r.sub(a.NextMsg.Sub).nextMsgs(src, a.NextMsg)
	case a.Counters != nil:
		r.sub(a.Counters.Sub).counters(src)
	case a.Disconnect != nil:
		at := r.now()
		r.cut(r.conn(a.Disconnect.Client), a.Disconnect.For)
		r.call(src, "disconnect", a.Disconnect.Client, "", at, nil, "")
	case a.Stall != nil:
		at := r.now()
		if err := r.conn(a.Stall.Client).ln.stall(a.Stall.For); err != nil {
			r.fail(err)
		}
		r.call(src, "stall", a.Stall.Client, "", at, nil, "")
	case a.RestartServer != nil:
		at := r.now()
		r.call(src, "restart_server", "", "", at, nil, "")
		if err := r.restartServer(a.RestartServer.For); err != nil {
			r.fail(err)
		}
	}
}

// drain is Conn.Drain, made by source (on behalf of subscription sub when
// a callback makes it).
func (c *realConn) drain(source, sub string) {
	r := c.r
	at := r.now()
	err := c.nc.Drain()
	if err == nil {
		r.record(func() {
			if c.out.Drain == nil {
				c.out.Drain = &model.DrainOutcome{CalledNS: at}
			}
		})
	}
	r.call(source, "drain", c.spec.Name, sub, at, err, "")
}

// current returns the nats subscription, nil if never subscribed (whose
// methods then return ErrBadSubscription, as the model's do).
func (s *realSub) current() *nats.Subscription {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	return s.sub
}

func (s *realSub) subscribeDeferred() error {
	if s.current() != nil {
		return errors.New(model.ErrAlreadySubscribed)
	}
	return s.subscribe()
}

// subscribe creates the subscription with its pending limits, closed
// handler, removal watcher and auto-unsubscribe limit.
func (s *realSub) subscribe() error {
	r, spec, nc := s.r, s.spec, s.c.nc
	var at int64
	if !r.t0.IsZero() {
		at = r.now()
	}
	out := &model.SubOutcome{ID: spec.ID, Client: spec.Client, Subject: spec.Subject, Queue: spec.Queue,
		Type: spec.Type.String(), SubscribedNS: at, Delivered: []model.DeliveredOut{}, Dropped: []model.DroppedOutcome{}}
	s.r.mu.Lock()
	s.out = out
	s.r.mu.Unlock()
	var sub *nats.Subscription
	var err error
	if spec.Type == scenario.Chan {
		s.ch = make(chan *nats.Msg, spec.ChanLen)
	}
	switch {
	case spec.Type == scenario.Chan && spec.Queue != "":
		sub, err = nc.ChanQueueSubscribe(spec.Subject, spec.Queue, s.ch)
	case spec.Type == scenario.Chan:
		sub, err = nc.ChanSubscribe(spec.Subject, s.ch)
	case spec.Type == scenario.Sync && spec.Queue != "":
		sub, err = nc.QueueSubscribeSync(spec.Subject, spec.Queue)
	case spec.Type == scenario.Sync:
		sub, err = nc.SubscribeSync(spec.Subject)
	case spec.Queue != "":
		sub, err = nc.QueueSubscribe(spec.Subject, spec.Queue, s.callback)
	default:
		sub, err = nc.Subscribe(spec.Subject, s.callback)
	}
	if err != nil {
		return err
	}
	if spec.StatusEvents {
		s.watchStatus(sub.StatusChanged(), at)
	}
	msgs, bytes := model.GoProfile.PendingMsgsLimit, model.GoProfile.PendingBytesLimit
	if l := s.c.spec.PendingMsgsLimit; l != nil {
		msgs = *l
	}
	if l := spec.PendingMsgsLimit; l != nil {
		msgs = *l
	}
	// Byte limits are played only when every message declares its
	// headers (scenario.Playable), so the runner's key header is counted.
	if l := s.c.spec.PendingBytesLimit; l != nil {
		bytes = *l
	}
	if l := spec.PendingBytesLimit; l != nil {
		bytes = *l
	}
	// A chan subscription has no pending limits (ErrTypeSubscription): its
	// channel's capacity limits it.
	if spec.Type != scenario.Chan {
		if err := sub.SetPendingLimits(msgs, bytes); err != nil {
			return err
		}
	}
	calls := 0
	sub.SetClosedHandler(func(string) {
		r.record(func() {
			if out.ClosedHandlerNS == nil {
				at := r.now()
				out.ClosedHandlerNS = &at
			}
			if calls++; calls > 1 {
				out.ClosedHandlerCalls = calls
			}
		})
	})
	closed := sub.StatusChanged(nats.SubscriptionClosed)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case _, ok := <-closed:
			if ok {
				r.record(func() {
					at := r.now()
					out.RemovedNS = &at
					r.trigger(scenario.SubRemoved, func(t *scenario.Trigger) bool { return t.Sub == spec.ID })
				})
			}
		case <-r.stop:
		}
	}()
	r.mu.Lock()
	s.sub = sub
	s.c.bySub[sub] = spec.ID
	r.subOuts = append(r.subOuts, out)
	r.mu.Unlock()
	if spec.Max > 0 {
		return sub.AutoUnsubscribe(spec.Max)
	}
	return nil
}

// watchStatus records the events of a StatusChanged listener on every
// status, until the first Closed closes its channel or the run ends. The
// first event, the current status, is in the channel already: it is
// recorded at the subscription's time at (the run's clock may not have
// started yet).
func (s *realSub) watchStatus(ch <-chan nats.SubStatus, at int64) {
	r := s.r
	first := <-ch
	r.record(func() {
		s.out.StatusEvents = append(s.out.StatusEvents, model.StatusOutcome{Status: first.String(), AtNS: at})
	})
	listen(r, ch, func(st nats.SubStatus) {
		r.record(func() {
			s.out.StatusEvents = append(s.out.StatusEvents, model.StatusOutcome{Status: st.String(), AtNS: r.now()})
		})
	})
}

// listen passes each value ch delivers to on, in a goroutine of the run,
// until ch closes or the run stops.
func listen[T any](r *realRun, ch <-chan T, on func(T)) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case v, ok := <-ch:
				if !ok {
					return
				}
				on(v)
			case <-r.stop:
				return
			}
		}
	}()
}

// subCall makes one call on the subscription (nil if never subscribed) on
// behalf of source, records it, and when it succeeds lets ok record its
// effect, given when the call was made and when it returned.
func (s *realSub) subCall(source, verb, sub string, call func(*nats.Subscription) error, ok func(at, returned int64)) {
	r := s.r
	at := r.now()
	err := call(s.current())
	if err == nil && ok != nil {
		r.record(func() { ok(at, r.now()) })
	}
	r.call(source, verb, s.spec.Client, sub, at, err, "")
}

func (s *realSub) unsubscribe(source, sub string) {
	s.subCall(source, "unsubscribe", sub, (*nats.Subscription).Unsubscribe, func(_, returned int64) {
		s.out.UnsubscribedNS = &returned
	})
}

func (s *realSub) drain(source, sub string) {
	s.subCall(source, "drain_sub", sub, (*nats.Subscription).Drain, func(at, _ int64) {
		if s.out.DrainCalledNS == nil {
			s.out.DrainCalledNS = &at
		}
	})
}

// nextMsgs makes a next_msg action's calls, one after the other.
func (s *realSub) nextMsgs(source string, a *scenario.NextMsg) {
	r := s.r
	for k := 0; k < a.Count; k++ {
		at := r.now()
		m, err := s.next(a.Timeout)
		key := ""
		if m != nil {
			key = m.Header.Get(keyHeader)
			r.record(func() {
				now := r.now()
				s.out.Delivered = append(s.out.Delivered, model.DeliveredOut{Msg: r.id(key), StartNS: now, EndNS: &now})
			})
		}
		r.call(source, "next_msg", s.spec.Client, s.spec.ID, at, err, key)
	}
}

// counters reads the subscription's Pending() and Delivered() and records
// them with the first error.
func (s *realSub) counters(source string) {
	r := s.r
	at := r.now()
	sub := s.current()
	msgs, _, perr := sub.Pending()
	n, derr := sub.Delivered()
	r.record(func() {
		c := model.CallOutcome{Source: source, Verb: "counters", Client: s.spec.Client, Sub: s.spec.ID, AtNS: at, ReturnedAtNS: r.now(), Result: result(cmp.Or(perr, derr))}
		if perr == nil {
			c.PendingMsgs = &msgs
		}
		if derr == nil {
			c.Delivered = &n
		}
		r.out.Calls = append(r.out.Calls, c)
		r.triggerCall(source, "counters", s.spec.Client, c.Result, 0)
	})
}

// next is NextMsg(timeout), or on a chan subscription a receive from its
// channel bounded by timeout (ErrTimeout), as an application writes it.
func (s *realSub) next(timeout time.Duration) (*nats.Msg, error) {
	if s.ch == nil {
		return s.current().NextMsg(timeout)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m := <-s.ch:
		return m, nil
	case <-t.C:
		return nil, nats.ErrTimeout
	case <-s.r.stop:
		return nil, nats.ErrTimeout
	}
}

// callback is an async subscription's message handler: busy for the
// handler's duration, then its actions in order.
func (s *realSub) callback(m *nats.Msg) {
	r := s.r
	s.n++
	n := s.n
	pos, id := -1, 0
	r.record(func() {
		id = r.id(m.Header.Get(keyHeader))
		s.out.Delivered = append(s.out.Delivered, model.DeliveredOut{Msg: id, StartNS: r.now()})
		pos = len(s.out.Delivered) - 1
		r.triggerCallback(scenario.CallbackStart, s, n, id)
	})
	defer func() {
		r.record(func() {
			if pos >= 0 {
				end := r.now()
				s.out.Delivered[pos].EndNS = &end
				r.triggerCallback(scenario.CallbackEnd, s, n, id)
			}
		})
	}()
	if !r.sleep(s.spec.Handler.Duration.A) {
		return
	}
	src := s.spec.ID + "#" + strconv.Itoa(n)
	for _, a := range s.spec.Handler.Actions {
		if a.Nth > 0 && a.Nth != n {
			continue
		}
		if !s.handlerAction(src, &a, m) {
			return
		}
	}
}

// handlerAction performs one action of a callback; it reports whether the
// run goes on.
func (s *realSub) handlerAction(src string, a *scenario.HandlerAction, m *nats.Msg) bool {
	r, c, id := s.r, s.c, s.spec.ID
	at := r.now()
	switch {
	case a.Reply != nil:
		key := r.nextKey(src)
		err := m.RespondMsg(msg("", "", key, a.Reply.Size))
		if errors.Is(err, nats.ErrMsgNoReply) {
			key = ""
		}
		r.call(src, "reply", c.spec.Name, id, at, err, key)
	case a.Publish != nil:
		p := a.Publish
		for k := 0; k < max(p.Count, 1); k++ {
			if k > 0 && !r.sleep(p.Interval) {
				return false
			}
			r.publishMsg(src, id, c, p, r.nextKey(src), at)
		}
	case a.Request != nil:
		q := a.Request
		for k := 0; k < max(q.Count, 1); k++ {
			key, start := r.nextKey(src), r.now()
			_, err := c.nc.RequestMsg(msg(q.Subject, "", key, q.Size), q.Timeout)
			r.call(src, "request", c.spec.Name, id, start, err, key)
			if !r.sleep(q.Interval) {
				return false
			}
		}
	case a.Sleep != nil:
		return r.sleep(a.Sleep.A)
	case a.Unsubscribe != nil:
		s.unsubscribe(src, id)
	case a.DrainSub != nil:
		s.drain(src, id)
	case a.Subscribe != nil:
		r.call(src, "subscribe", c.spec.Name, id, at, r.sub(a.Subscribe.Sub).subscribeDeferred(), "")
	case a.Drain != nil:
		c.drain(src, id)
	}
	return true
}
