package conformance

import (
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/drainsim/drainsim/model/scenario"
)

// The two runners of the real stack differ only in how the clients reach
// the server and in how time passes: the real-time runner connects through
// TCP relays on 127.0.0.1 and waits on the machine's clock, the virtual one
// connects through in-memory links inside a testing/synctest bubble and
// waits on the bubble's clock. Everything else, realRun in
// realstack_test.go, is shared.

// stack is one of the two runners' transport and clock.
type stack interface {
	// serverOptions are the options of the embedded server; addr is where
	// the run's first server listened ("" for the first), so that a
	// restarted server comes back on the same address.
	serverOptions(addr string) *server.Options
	// link makes the link of one client of r.
	link(r *realRun) (link, error)
	// clock makes the run's time keeper; stop is closed when the run ends.
	clock(stop <-chan struct{}) waiter
}

// link is one client's path to the server. Both kinds realise the
// scenario's network the same way: every write arrives latency later, in
// order; a disconnect cuts the connection, losing what is in flight, and
// refuses new connections for its duration; a server restart refuses them
// until the server is back.
type link interface {
	// connect connects a client with opts through the link.
	connect(opts []nats.Option) (*nats.Conn, error)
	// refuse makes new connections fail.
	refuse()
	// accept takes new connections again.
	accept() error
	// breakLinks breaks every connection through the link at once.
	breakLinks()
	// stall holds what every connection through the link carries, either
	// way, until d from now (scenario action stall).
	stall(d time.Duration) error
	// close breaks the connections and refuses new ones for good.
	close()
}

// gate is what the two kinds of link keep alike: the connections they
// carry and whether they are closed for good. Their refuse and accept take
// mu too.
type gate struct {
	mu     sync.Mutex
	links  []io.Closer // both ends of every connection carried
	closed bool
}

// track records the ends of a new connection; it reports false, recording
// nothing, when the link is closed.
func (g *gate) track(ends ...io.Closer) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.links = append(g.links, ends...)
	return true
}

// breakLinks closes every connection carried at once, losing what is in
// flight.
func (g *gate) breakLinks() {
	g.mu.Lock()
	links := g.links
	g.links = nil
	g.mu.Unlock()
	for _, c := range links {
		c.Close()
	}
}

// shut closes the gate for good and breaks its connections.
func (g *gate) shut() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.breakLinks()
}

// tcpStack is the real-time runner: nats-server listens on 127.0.0.1 and
// every client connects through its own TCP relay (proxy).
type tcpStack struct{}

func (tcpStack) serverOptions(addr string) *server.Options {
	port := server.RANDOM_PORT
	if addr != "" {
		port = portOf(addr)
	}
	return &server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true}
}

// portOf returns the port of the host:port address a server listened on.
func portOf(addr string) int {
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return p
}

func (tcpStack) link(r *realRun) (link, error) {
	return newProxy(r.addr, r.sc.Network.Latency.A, pacingOf(r), r.clk)
}

func (tcpStack) clock(stop <-chan struct{}) waiter { return &clock{stop: stop} }

// runReal plays sc (already Prepared) for until of real time on the
// real-time runner and returns the recorded outcome with the key of every
// message ID, and the longest its clock woke late.
func runReal(sc *scenario.Scenario, until time.Duration) (*Side, time.Duration, error) {
	// The clock's precise sleeps hold their thread, and with it a P, in
	// nanosleep; more Ps than the machine's cores keep nats.go's and
	// nats-server's goroutines running meanwhile.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	emptyTimerPool()
	return play(sc, until, tcpStack{})
}
