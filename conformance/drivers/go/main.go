// Command driver plays a drainsim plan (docs/driver-protocol.md) with the
// real nats.go client and reports what it saw as NDJSON events. It is its
// own module so that it can be built against any nats.go version:
// go.mod pins the version drainsim's in-process conformance runs (v1.55.0),
// go153.mod the version before the v1.55.0 drain fix (v1.53.1):
//
//	go build -o driver .                     # nats.go v1.55.0
//	go build -modfile=go153.mod -o driver .  # nats.go v1.53.1
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: driver PLAN.json")
		os.Exit(2)
	}
	d := &driver{out: json.NewEncoder(os.Stdout), keys: map[string]int{}}
	if err := d.run(os.Args[1]); err != nil {
		d.emit(event{"ev": "fatal", "error": err.Error()})
		os.Exit(1)
	}
}

// event is one output line.
type event map[string]any

type driver struct {
	plan  plan
	t0    time.Time
	mu    sync.Mutex // guards out and keys
	out   *json.Encoder
	keys  map[string]int // next message ordinal per callback source
	conns map[string]*nats.Conn
	subs  map[string]*sub
}

type sub struct {
	spec *planSub
	mu   sync.Mutex
	s    *nats.Subscription
	n    int // callbacks started
}

func (d *driver) emit(e event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_ = d.out.Encode(e)
}

// now is the time since the start event, in nanoseconds.
func (d *driver) now() int64 { return int64(time.Since(d.t0)) }

func (d *driver) run(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &d.plan); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if d.plan.Protocol != 1 {
		return fmt.Errorf("%s: protocol %d, want 1", path, d.plan.Protocol)
	}
	d.conns, d.subs = map[string]*nats.Conn{}, map[string]*sub{}
	for i := range d.plan.Clients {
		c := &d.plan.Clients[i]
		nc, err := nats.Connect(c.URL, d.options(c)...)
		if err != nil {
			return fmt.Errorf("connecting %s: %w", c.Name, err)
		}
		d.conns[c.Name] = nc
	}
	for i := range d.plan.Subscriptions {
		s := &sub{spec: &d.plan.Subscriptions[i]}
		d.subs[s.spec.ID] = s
	}
	for _, s := range d.subs {
		if !s.spec.Deferred {
			if err := d.subscribe(s); err != nil {
				return fmt.Errorf("subscribing %s: %w", s.spec.ID, err)
			}
		}
	}
	for name, nc := range d.conns {
		if err := nc.FlushTimeout(5 * time.Second); err != nil {
			return fmt.Errorf("flushing %s: %w", name, err)
		}
	}
	d.t0 = time.Now()
	for _, c := range d.plan.Clients {
		d.watchStatus(c.Name, d.conns[c.Name])
	}
	d.emit(event{"ev": "start", "library": library(), "observes": observes})
	for _, s := range d.plan.Subscriptions {
		if !s.Deferred {
			d.emit(event{"ev": "subscribed", "sub": s.ID, "t": 0})
		}
	}
	go d.dispatch()
	sleepUntil(d.t0.Add(time.Duration(d.plan.UntilNS)))
	for _, c := range d.plan.Clients {
		d.emit(event{"ev": "last_error", "client": c.Name, "error": errName(d.conns[c.Name].LastError())})
	}
	d.emit(event{"ev": "end", "late_ns": worstLate.Load()})
	os.Exit(0)
	return nil
}

// observes: everything nats.go shows; its Drain signals completion only
// through the status and the closed callback, compared instead.
var observes = event{
	"status": map[string]string{"CONNECTED": "CONNECTED", "DISCONNECTED": "DISCONNECTED", "RECONNECTING": "RECONNECTING",
		"DRAINING_SUBS": "DRAINING_SUBS", "DRAINING_PUBS": "DRAINING_PUBS", "CLOSED": "CLOSED"},
	"callbacks":   []string{"async_error", "disconnected", "reconnected", "closed"},
	"sub_removed": true, "sub_closed": true, "callback_end": true, "last_error": true,
}

// library names the nats.go version this binary was built with.
func library() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/nats-io/nats.go" {
				return "nats.go " + m.Version
			}
		}
	}
	return "nats.go (unknown version)"
}

func (d *driver) options(c *planConn) []nats.Option {
	opts := []nats.Option{
		nats.Name(c.Name),
		nats.ReconnectWait(time.Duration(c.ReconnectWaitNS)),
		nats.ReconnectJitter(time.Duration(c.ReconnectJitterNS), time.Duration(c.ReconnectJitterNS)),
		nats.MaxReconnects(c.MaxReconnect),
		nats.ReconnectBufSize(c.ReconnectBufSize),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			e := event{"ev": "callback", "client": c.Name, "kind": "async_error", "t": d.now(), "error": errName(err)}
			if s != nil {
				e["sub"] = d.subID(s)
			}
			d.emit(e)
		}),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { d.callback(c.Name, "disconnected") }),
		nats.ReconnectHandler(func(*nats.Conn) { d.callback(c.Name, "reconnected") }),
		nats.ClosedHandler(func(*nats.Conn) { d.callback(c.Name, "closed") }),
	}
	if c.DrainTimeoutNS >= 0 {
		opts = append(opts, nats.DrainTimeout(time.Duration(c.DrainTimeoutNS)))
	}
	if !c.Reconnect {
		opts = append(opts, nats.NoReconnect())
	}
	if c.NoCallbacksAfterClose {
		opts = append(opts, nats.NoCallbacksAfterClientClose())
	}
	return opts
}

func (d *driver) callback(client, kind string) {
	d.emit(event{"ev": "callback", "client": client, "kind": kind, "t": d.now()})
}

func (d *driver) subID(s *nats.Subscription) string {
	for id, x := range d.subs {
		x.mu.Lock()
		same := x.s == s
		x.mu.Unlock()
		if same {
			return id
		}
	}
	return ""
}

func (d *driver) watchStatus(client string, nc *nats.Conn) {
	ch := nc.StatusChanged(nats.CONNECTED, nats.DISCONNECTED, nats.CLOSED, nats.RECONNECTING, nats.DRAINING_SUBS, nats.DRAINING_PUBS)
	go func() {
		for st := range ch {
			d.emit(event{"ev": "status", "client": client, "status": st.String(), "t": d.now()})
		}
	}()
}

// subscribe creates a subscription with its limits, closed handler and
// removal watcher.
func (d *driver) subscribe(s *sub) error {
	spec, nc := s.spec, d.conns[s.spec.Client]
	var ns *nats.Subscription
	var err error
	switch {
	case spec.Type == "sync" && spec.Queue != "":
		ns, err = nc.QueueSubscribeSync(spec.Subject, spec.Queue)
	case spec.Type == "sync":
		ns, err = nc.SubscribeSync(spec.Subject)
	case spec.Queue != "":
		ns, err = nc.QueueSubscribe(spec.Subject, spec.Queue, s.callback(d))
	default:
		ns, err = nc.Subscribe(spec.Subject, s.callback(d))
	}
	if err != nil {
		return err
	}
	if err := ns.SetPendingLimits(spec.PendingMsgsLimit, spec.PendingBytesLimit); err != nil {
		return err
	}
	ns.SetClosedHandler(func(string) { d.emit(event{"ev": "sub_closed", "sub": spec.ID, "t": d.now()}) })
	closed := ns.StatusChanged(nats.SubscriptionClosed)
	go func() {
		if _, ok := <-closed; ok {
			d.emit(event{"ev": "sub_removed", "sub": spec.ID, "t": d.now()})
		}
	}()
	s.mu.Lock()
	s.s = ns
	s.mu.Unlock()
	if spec.Max > 0 {
		return ns.AutoUnsubscribe(spec.Max)
	}
	return nil
}

func (s *sub) current() *nats.Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s
}

// call reports one API call.
func (d *driver) call(source, verb, client, subID string, at int64, err error, key string) {
	d.emit(event{"ev": "call", "source": source, "verb": verb, "client": client, "sub": subID,
		"at": at, "returned": d.now(), "result": result(err), "key": key})
}

func result(err error) string {
	if err == nil {
		return "ok"
	}
	return errName(err)
}

// errName maps a nats.go error to the protocol's name for it.
func errName(err error) string {
	if err == nil {
		return ""
	}
	for _, e := range []struct {
		err  error
		name string
	}{
		{nats.ErrConnectionClosed, "ErrConnectionClosed"},
		{nats.ErrConnectionDraining, "ErrConnectionDraining"},
		{nats.ErrConnectionReconnecting, "ErrConnectionReconnecting"},
		{nats.ErrDrainTimeout, "ErrDrainTimeout"},
		{nats.ErrTimeout, "ErrTimeout"},
		{nats.ErrBadSubscription, "ErrBadSubscription"},
		{nats.ErrSlowConsumer, "ErrSlowConsumer"},
		{nats.ErrMaxPayload, "ErrMaxPayload"},
		{nats.ErrReconnectBufExceeded, "ErrReconnectBufExceeded"},
		{nats.ErrNoResponders, "ErrNoResponders"},
		{nats.ErrMaxMessages, "ErrMaxMessages"},
		{nats.ErrMsgNoReply, "ErrMsgNoReply"},
		{nats.ErrNoServers, "ErrNoServers"},
		{io.EOF, "EOF"},
		{errAlreadySubscribed, "ErrAlreadySubscribed"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return "lib:" + err.Error()
}

// nextKey returns the key of the next message a callback source sends.
func (d *driver) nextKey(source string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.keys[source]
	d.keys[source] = n + 1
	return source + "/" + strconv.Itoa(n)
}

// payload is a message's key followed by size spaces.
func payload(key string, size int) []byte {
	return []byte(key + strings.Repeat(" ", size))
}

// keyOf reads the key back from a payload.
func keyOf(data []byte) string {
	k, _, _ := strings.Cut(string(data), " ")
	return k
}

// dispatch runs the top-level actions at their times, in plan order for
// equal times; blocking ones get a goroutine each.
func (d *driver) dispatch() {
	for i := range d.plan.Actions {
		a := &d.plan.Actions[i]
		if a.Harness {
			continue
		}
		sleepUntil(d.t0.Add(time.Duration(a.AtNS)))
		if p := a.Publish; p != nil && p.Count > 1 && p.IntervalNS > 0 || a.Request != nil || a.Flush != nil || a.NextMsg != nil {
			go d.act(a)
			continue
		}
		d.act(a)
	}
}

func (d *driver) act(a *step) {
	src := a.Source
	switch {
	case a.Publish != nil:
		p := a.Publish
		nc := d.conns[p.Client]
		for k := 0; k < p.Count; k++ {
			if k > 0 && p.IntervalNS > 0 {
				sleepUntil(d.t0.Add(time.Duration(a.AtNS + int64(k)*p.IntervalNS)))
			}
			key, at := src+"/"+strconv.Itoa(k), d.now()
			d.call(src, "publish", p.Client, "", at, nc.PublishMsg(&nats.Msg{Subject: p.Subject, Reply: p.Reply, Data: payload(key, p.Size)}), key)
		}
	case a.Request != nil:
		q := a.Request
		nc := d.conns[q.Client]
		var wg sync.WaitGroup
		for k := 0; k < q.Count; k++ {
			if k > 0 {
				sleepUntil(d.t0.Add(time.Duration(a.AtNS + int64(k)*q.IntervalNS)))
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				key, at := src+"/"+strconv.Itoa(k), d.now()
				_, err := nc.Request(q.Subject, payload(key, q.Size), time.Duration(q.TimeoutNS))
				d.call(src, "request", q.Client, "", at, err, key)
			}()
		}
		wg.Wait()
	case a.Flush != nil:
		at := d.now()
		d.call(src, "flush", a.Flush.Client, "", at, d.conns[a.Flush.Client].FlushTimeout(time.Duration(a.Flush.TimeoutNS)), "")
	case a.Subscribe != nil:
		d.subscribeCall(src, a.Subscribe.Sub, a.Subscribe.Sub)
	case a.Unsubscribe != nil:
		d.subCall(src, "unsubscribe", a.Unsubscribe.Sub, a.Unsubscribe.Sub, (*nats.Subscription).Unsubscribe)
	case a.AutoUnsubscribe != nil:
		max := a.AutoUnsubscribe.Max
		d.subCall(src, "auto_unsubscribe", a.AutoUnsubscribe.Sub, a.AutoUnsubscribe.Sub, func(s *nats.Subscription) error { return s.AutoUnsubscribe(max) })
	case a.DrainSub != nil:
		d.subCall(src, "drain_sub", a.DrainSub.Sub, a.DrainSub.Sub, (*nats.Subscription).Drain)
	case a.Drain != nil:
		at := d.now()
		d.call(src, "drain", a.Drain.Client, "", at, d.conns[a.Drain.Client].Drain(), "")
	case a.Close != nil:
		at := d.now()
		d.conns[a.Close.Client].Close()
		d.call(src, "close", a.Close.Client, "", at, nil, "")
	case a.NextMsg != nil:
		n := a.NextMsg
		s := d.subs[n.Sub]
		for k := 0; k < n.Count; k++ {
			at := d.now()
			m, err := s.current().NextMsg(time.Duration(n.TimeoutNS))
			key := ""
			if m != nil {
				key = keyOf(m.Data)
			}
			d.call(src, "next_msg", s.spec.Client, n.Sub, at, err, key)
		}
	}
}

// subCall makes one call on a subscription (nil if never subscribed, whose
// methods return ErrBadSubscription) on behalf of source.
func (d *driver) subCall(source, verb, id, reported string, f func(*nats.Subscription) error) {
	s := d.subs[id]
	at := d.now()
	d.call(source, verb, s.spec.Client, reported, at, f(s.current()), "")
}

// subscribeCall subscribes a deferred subscription on behalf of source.
func (d *driver) subscribeCall(source, id, reported string) {
	s := d.subs[id]
	at := d.now()
	err := errAlreadySubscribed
	if s.current() == nil {
		if err = d.subscribe(s); err == nil {
			d.emit(event{"ev": "subscribed", "sub": id, "t": d.now()})
		}
	}
	d.call(source, "subscribe", s.spec.Client, reported, at, err, "")
}

// errAlreadySubscribed: a subscribe action for a subscription that exists
// (the model's ErrAlreadySubscribed; nats.go would make a second one).
var errAlreadySubscribed = errors.New("already subscribed")

// callback is an async subscription's message handler: busy for the
// handler's duration, then its actions in order.
func (s *sub) callback(d *driver) nats.MsgHandler {
	return func(m *nats.Msg) {
		s.n++
		n, key, id := s.n, keyOf(m.Data), s.spec.ID
		d.emit(event{"ev": "deliver", "sub": id, "key": key, "t": d.now()})
		defer func() { d.emit(event{"ev": "handled", "sub": id, "key": key, "t": d.now()}) }()
		sleepFor(time.Duration(s.spec.Handler.DurationNS))
		src := id + "#" + strconv.Itoa(n)
		for i := range s.spec.Handler.Actions {
			a := &s.spec.Handler.Actions[i]
			if a.Nth > 0 && a.Nth != n {
				continue
			}
			d.handlerAction(s, src, a, m)
		}
	}
}

func (d *driver) handlerAction(s *sub, src string, a *step, m *nats.Msg) {
	client, id := s.spec.Client, s.spec.ID
	nc := d.conns[client]
	at := d.now()
	switch {
	case a.Reply != nil:
		key := d.nextKey(src)
		err := m.Respond(payload(key, a.Reply.Size))
		if errors.Is(err, nats.ErrMsgNoReply) {
			key = ""
		}
		d.call(src, "reply", client, id, at, err, key)
	case a.Publish != nil:
		p := a.Publish
		for k := 0; k < p.Count; k++ {
			if k > 0 {
				sleepFor(time.Duration(p.IntervalNS))
			}
			key := d.nextKey(src)
			d.call(src, "publish", client, id, at, nc.PublishMsg(&nats.Msg{Subject: p.Subject, Reply: p.Reply, Data: payload(key, p.Size)}), key)
		}
	case a.Request != nil:
		q := a.Request
		for k := 0; k < q.Count; k++ {
			key, start := d.nextKey(src), d.now()
			_, err := nc.Request(q.Subject, payload(key, q.Size), time.Duration(q.TimeoutNS))
			d.call(src, "request", client, id, start, err, key)
			sleepFor(time.Duration(q.IntervalNS))
		}
	case a.Sleep != nil:
		sleepFor(time.Duration(a.Sleep.DurationNS))
	case a.Unsubscribe != nil:
		d.subCall(src, "unsubscribe", id, id, (*nats.Subscription).Unsubscribe)
	case a.DrainSub != nil:
		d.subCall(src, "drain_sub", id, id, (*nats.Subscription).Drain)
	case a.Subscribe != nil:
		d.subscribeCall(src, a.Subscribe.Sub, id)
	case a.Drain != nil:
		d.call(src, "drain", client, id, at, nc.Drain(), "")
	}
}

// timerSlack is how late Go's timers may fire; the last stretch of every
// wait spins, so that handler times do not drift from the plan's.
const timerSlack = 2 * time.Millisecond

// worstLate is the most any wait woke late: how much the machine kept the
// driver waiting (other processes using the CPU), reported at the end so
// that the harness can tell a disturbed run from a disagreement.
var worstLate atomic.Int64

func sleepUntil(deadline time.Time) {
	if d := time.Until(deadline) - timerSlack; d > 0 {
		time.Sleep(d)
	}
	for time.Now().Before(deadline) {
	}
	late := int64(time.Since(deadline))
	for {
		old := worstLate.Load()
		if late <= old || worstLate.CompareAndSwap(old, late) {
			return
		}
	}
}

func sleepFor(d time.Duration) { sleepUntil(time.Now().Add(d)) }
