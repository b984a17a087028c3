package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drainsim/drainsim/model/scenario"
)

// This file is the virtual network: the real nats.go and an embedded
// nats-server run inside a testing/synctest bubble, the server listening
// nowhere (DontListen) and each client reaching it through an in-memory
// link (vlink) that realises the scenario's network as the TCP relays do.
// The bubble's clock moves only when every goroutine in it is durably
// blocked (on a channel, a timer, time.Sleep), and then straight to the next
// timer, so handler sleeps, nats.go's polls and timeouts, and the link's
// latency take no wall time, and a run takes milliseconds whatever its
// length.
//
// What it abstracts away, against the real-time runner: TCP segmentation
// (a write arrives whole, in one piece, never split or coalesced with the
// next), kernel buffering (what the server writes waits nowhere but in the
// link), and all scheduler noise: a goroutine's work takes no time, so
// events the scenario puts at one instant happen at that very instant, in
// an order the Go scheduler picks (see conformVirtual for how such ties
// are judged).

// virtualStack is the virtual-time runner's transport and clock.
type virtualStack struct{}

func (virtualStack) serverOptions(string) *server.Options {
	return &server.Options{DontListen: true, NoLog: true, NoSigs: true}
}

func (virtualStack) link(r *realRun) (link, error) {
	return &vlink{server: r.server, latency: r.sc.Network.Latency.A, pacing: pacingOf(r)}, nil
}

func (virtualStack) clock(stop <-chan struct{}) waiter { return virtualClock{stop: stop} }

// errRefused is what a connection attempt gets while the client's network
// is down or the server restarts. nats.go treats it as a failed dial; the
// words "connection refused" make its first connect report ErrNoServers, as
// a refused TCP dial does.
var errRefused = errors.New("virtual link: connection refused")

// vlink is one client's link to the server in virtual time; nats.go dials
// through it as an InProcessConnProvider, once per (re)connection.
type vlink struct {
	gate
	server   func() *server.Server // the server that is up, nil while it restarts
	latency  time.Duration
	pacing   pacing // the bandwidth each way
	refusing bool   // under gate.mu
}

func (l *vlink) connect(opts []nats.Option) (*nats.Conn, error) {
	return nats.Connect("nats://in-process", append(slices.Clip(opts), nats.InProcessServer(l))...)
}

// InProcessConn makes a new connection to the server, refused while the
// link is down or the server is not up.
func (l *vlink) InProcessConn() (net.Conn, error) {
	l.mu.Lock()
	down := l.refusing || l.closed
	l.mu.Unlock()
	s := l.server()
	if down || s == nil {
		return nil, errRefused
	}
	end, err := s.InProcessConn()
	if err != nil { // the server is shutting down
		return nil, errors.Join(errRefused, err)
	}
	c := newVConn(end, l.latency, l.pacing)
	if !l.track(cutter{c}) {
		c.cutOff()
		return nil, errRefused
	}
	return c, nil
}

func (l *vlink) refuse() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refusing = true
}

func (l *vlink) accept() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refusing = false
	return nil
}

func (l *vlink) close() { l.shut() }

// stall holds the connections the link carries now until d from now: what
// would arrive before then arrives then, in order (see model/stall.go). A
// connection made later is not stalled.
func (l *vlink) stall(d time.Duration) error {
	now := time.Now()
	w := window{from: now, until: now.Add(d)}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.links {
		if c, ok := k.(cutter); ok {
			c.c.hold(w)
		}
	}
	return nil
}

// cutter is a connection as its link keeps it: closing it cuts the
// connection.
type cutter struct{ c *vconn }

func (k cutter) Close() error {
	k.c.cutOff()
	return nil
}

// chunk is one write in flight; b is nil for the end of the stream.
type chunk struct {
	b  []byte
	at time.Time // when it arrives
}

// vconn is the client's end of a virtual connection. What either side
// writes arrives latency later, in order and pipelined: each write travels
// on its own, behind the ones before it but not waiting for them to
// arrive, as on a TCP connection with room in its windows. With a
// bandwidth, each protocol operation also takes its bytes' transmission
// time, after the operations before it (see pacer): as in the model, the
// operations of one write arrive one by one. Nothing pushes back: a
// writer does not wait for the link (short of paceQueue operations in
// flight), as if the socket's buffer had room for everything.
//
// Except during the handshake (the server's INFO, the client's CONNECT and
// PING, up to the server's PONG), which takes no time at all: nats.go holds
// its connection's lock through a reconnection's handshake, and a goroutine
// waiting for a sync.Mutex is not durably blocked, so it stops the bubble's
// clock. A handshake that waited for the network while an application call
// (a publish) waited for the lock would stall the run for ever. (The model
// gives a handshake one round trip; a reconnection completes 2 × latency
// earlier here, within the tolerance for the latencies scenarios use.)
//
// Its goroutines: pump hands the client's writes to the server's end (a
// net.Pipe from nats-server's InProcessConn) when they arrive; drain reads
// what the server writes and queues it for Read.
type vconn struct {
	srv     net.Conn
	latency time.Duration
	up      chan chunk    // client to server
	down    chan chunk    // server to client
	closed  chan struct{} // the client closed its end
	broken  chan struct{} // the link was cut
	pumped  chan struct{} // pump has stopped: nothing reaches the server any more

	closeOnce, cutOnce sync.Once

	// handshaking: the client has not yet read the PONG that ends the
	// handshake, so writes either way arrive at once.
	handshaking atomic.Bool

	// With a bandwidth, the pacers of the writes to the server (used by
	// Write, under nats.go's connection lock) and from it (used by drain);
	// nil without one.
	upPace, downPace *pacer

	// Read's own state (nats.go reads from one goroutine at a time).
	head *chunk // taken from down, not yet arrived or not all read
	eof  bool

	dlMu     sync.Mutex
	deadline time.Time // for reads

	stallMu sync.Mutex
	stalls  []window // in the order they started
}

// window is a stall: what would arrive in [from, until) arrives at until.
type window struct{ from, until time.Time }

// hold adds a stall.
func (c *vconn) hold(w window) {
	c.stallMu.Lock()
	defer c.stallMu.Unlock()
	c.stalls = append(c.stalls, w)
}

// due is when a chunk due at at arrives, the stalls applied in order.
func (c *vconn) due(at time.Time) time.Time {
	c.stallMu.Lock()
	defer c.stallMu.Unlock()
	for _, w := range c.stalls {
		if !at.Before(w.from) && at.Before(w.until) {
			at = w.until
		}
	}
	return at
}

// vconnQueue is how many writes may be in flight each way before a writer
// waits; nats.go and nats-server write in batches, far fewer. With a
// bandwidth every protocol operation travels on its own, and a backlog
// can hold many more: paceQueue of them.
const (
	vconnQueue = 1024
	paceQueue  = 4096
)

func newVConn(srv net.Conn, latency time.Duration, g pacing) *vconn {
	q := vconnQueue
	if g.bandwidth > 0 {
		q = paceQueue
	}
	c := &vconn{srv: srv, latency: latency, up: make(chan chunk, q), down: make(chan chunk, q),
		closed: make(chan struct{}), broken: make(chan struct{}), pumped: make(chan struct{}),
		upPace: g.up(latency), downPace: g.down(latency)}
	c.handshaking.Store(true)
	go c.pump()
	go c.drain()
	return c
}

// pump hands each write to the server when it arrives. After the client
// closes its end, what it wrote before still arrives, then the server sees
// the close; after a cut, nothing more arrives and the server sees the
// connection end at once.
func (c *vconn) pump() {
	defer close(c.pumped)
	defer c.srv.Close()
	for {
		select {
		case ch := <-c.up:
			if !c.deliver(ch) {
				return
			}
		case <-c.broken:
			return
		case <-c.closed:
			for {
				select {
				case ch := <-c.up:
					if !c.deliver(ch) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

// deliver writes ch to the server when it arrives; it reports false when
// the link was cut first or the server's end is closed.
func (c *vconn) deliver(ch chunk) bool {
	// A stall may start while the chunk is on its way: look again on
	// waking.
	for d := time.Until(c.due(ch.at)); d > 0; d = time.Until(c.due(ch.at)) {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.broken:
			t.Stop()
			return false
		}
	}
	_, err := c.srv.Write(ch.b)
	return err == nil
}

// drain queues what the server writes, to arrive latency later (with a
// bandwidth, each operation once its bytes have crossed), and the end of
// the stream when the server closes its end. What the server writes after
// the client closed its end is discarded.
func (c *vconn) drain() {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.srv.Read(buf)
		if n > 0 {
			for _, ch := range c.arrivals(c.downPace, buf[:n]) {
				if !c.queue(ch) {
					return
				}
			}
		}
		if err != nil {
			at := c.arrival()
			if c.downPace != nil && !c.handshaking.Load() {
				at = c.downPace.end(time.Now())
			}
			c.queue(chunk{at: at})
			return
		}
	}
}

// arrivals cuts b, written now, into the chunks that carry it: one
// arriving latency later, or with a bandwidth (pacer p) one per protocol
// operation, arriving once its bytes have crossed; during the handshake
// one arriving at once.
func (c *vconn) arrivals(p *pacer, b []byte) []chunk {
	if p == nil || c.handshaking.Load() {
		return []chunk{{b: bytes.Clone(b), at: c.arrival()}}
	}
	return p.pace(b, time.Now())
}

// arrival is when a write made now arrives without a bandwidth: latency
// later, or at once during the handshake.
func (c *vconn) arrival() time.Time {
	if c.handshaking.Load() {
		return time.Now()
	}
	return time.Now().Add(c.latency)
}

// pong ends the handshake.
var pong = []byte("PONG\r\n")

// queue puts ch on the way to the client; false when the link was cut.
func (c *vconn) queue(ch chunk) bool {
	select {
	case c.down <- ch:
	case <-c.broken:
		return false
	case <-c.closed:
	}
	return true
}

// Read returns what has arrived from the server, waiting for the next
// write to arrive. Data that arrived before a cut is still read, as from a
// socket's buffer, then the cut reads as the end of the stream.
func (c *vconn) Read(p []byte) (int, error) {
	if c.eof {
		return 0, io.EOF
	}
	var timeout <-chan time.Time
	if dl := c.readDeadline(); !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timeout = t.C
	}
	if c.head == nil {
		select {
		case ch := <-c.down:
			c.head = &ch
		default:
			select {
			case ch := <-c.down:
				c.head = &ch
			case <-c.broken:
				return 0, io.EOF
			case <-c.closed:
				return 0, net.ErrClosed
			case <-timeout:
				return 0, os.ErrDeadlineExceeded
			}
		}
		if bytes.Contains(c.head.b, pong) {
			c.handshaking.Store(false)
		}
	}
	for d := time.Until(c.due(c.head.at)); d > 0; d = time.Until(c.due(c.head.at)) {
		if err := c.await(d, timeout); err != nil {
			return 0, err
		}
	}
	if c.head.b == nil {
		c.eof = true
		return 0, io.EOF
	}
	n := copy(p, c.head.b)
	if c.head.b = c.head.b[n:]; len(c.head.b) == 0 {
		c.head = nil
	}
	return n, nil
}

// await waits d for the head chunk to arrive; the error is the one Read
// returns when the link breaks, the client closes or the deadline passes
// first.
func (c *vconn) await(d time.Duration, timeout <-chan time.Time) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.broken:
		return io.EOF
	case <-c.closed:
		return net.ErrClosed
	case <-timeout:
		return os.ErrDeadlineExceeded
	}
}

// Write sends p on its way to the server. After a cut, or once the server
// has closed its end, a write is lost without an error, as a write into a
// socket's buffer is before the peer's reset comes back; the reader sees
// the end first.
func (c *vconn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	for _, ch := range c.arrivals(c.upPace, p) {
		select {
		case c.up <- ch:
		case <-c.broken:
			return len(p), nil
		case <-c.pumped:
			return len(p), nil
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	return len(p), nil
}

// Close closes the client's end: what it wrote still arrives, then the
// server sees the connection end.
func (c *vconn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// cutOff cuts the connection: both ends see it end at once, and what is in
// flight is lost.
func (c *vconn) cutOff() {
	c.cutOnce.Do(func() { close(c.broken) })
	c.srv.Close()
}

func (c *vconn) LocalAddr() net.Addr  { return c.srv.RemoteAddr() }
func (c *vconn) RemoteAddr() net.Addr { return c.srv.LocalAddr() }

func (c *vconn) readDeadline() time.Time {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	return c.deadline
}

// SetDeadline sets the read deadline: writes never wait for the network.
func (c *vconn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *vconn) SetReadDeadline(t time.Time) error {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	c.deadline = t
	return nil
}

// SetWriteDeadline does nothing: writes never wait for the network.
func (c *vconn) SetWriteDeadline(time.Time) error { return nil }

// keepTimerPool leaves nats.go's timer pool alone between bubbles: the
// mutation TestBubblesNeedEmptyPool applies, in a child process, to show
// that emptying the pool is what keeps bubbles in a row alive.
var keepTimerPool = os.Getenv("DRAINSIM_KEEP_TIMER_POOL") == "1"

// emptyTimerPool empties nats.go's global timer pool (a sync.Pool): a timer
// made in one bubble and taken from the pool in another, or outside any
// bubble, aborts the process ("select on synctest channel from outside
// bubble"). A garbage collection moves a pool's objects to its victim cache
// and drops the victim cache, so two of them leave it empty. Every run of
// the real stack, in virtual or in real time, starts with it, so that none
// takes a timer another run made.
func emptyTimerPool() {
	if keepTimerPool {
		return
	}
	runtime.GC()
	runtime.GC()
}

// stallAfter is how much wall time a bubble may take before runVirtual
// gives up on it: a run takes milliseconds, but a bubble whose goroutines
// wait for one another outside the bubble's reach (one on a mutex, the
// holder on virtual time) never ends.
var stallAfter = 30 * time.Second

// runVirtual plays sc (already Prepared) until time until of the run in
// virtual time, in a synctest bubble of its own made in t. A bubble that
// stalls is an error (its goroutines are left behind).
func runVirtual(t *testing.T, sc *scenario.Scenario, until time.Duration) (*Side, error) {
	emptyTimerPool()
	var side *Side
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		synctest.Test(t, func(*testing.T) {
			side, _, err = play(sc, until, virtualStack{})
			// The bubble's clock stops when this function returns, and every
			// goroutine in it must have ended by then: nats.go's own notice
			// the connection closed only at their next tick (a subscription
			// drain polls every 100 ms), so they get a minute of virtual time.
			time.Sleep(time.Minute)
		})
	}()
	select {
	case <-done:
		return side, err
	case <-time.After(stallAfter):
		return nil, fmt.Errorf("%s: the virtual run stalled (%s of wall time): a goroutine waits for a mutex whose holder waits for virtual time", sc.Name, stallAfter)
	}
}
