package conformance

import (
	"errors"
	"net"
	"time"

	"github.com/nats-io/nats.go"
)

// proxy relays one client's TCP connections to the server: the real-time
// runner's link. It realises the scenario's network: every chunk read is
// written latency later, in order (the model's per-write latency), and
// with a bandwidth every protocol operation once its bytes have crossed
// (see pacer; as in the model, the handshake's too); a client
// disconnect cuts the connection, losing what is in flight either way, and
// refuses new connections until the network is back up; while the server
// restarts it refuses connections too, as a server that is not listening
// does.
type proxy struct {
	gate
	addr    string // where clients connect, fixed for the run
	target  string // the server
	latency time.Duration
	pacing  pacing // the bandwidth each way
	clk     waiter

	ln net.Listener // nil while refusing; under gate.mu
}

func newProxy(target string, latency time.Duration, g pacing, clk waiter) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{addr: ln.Addr().String(), target: target, latency: latency, pacing: g, clk: clk, ln: ln}
	go p.serve(ln)
	return p, nil
}

// url is what a client connects to.
func (p *proxy) url() string { return "nats://" + p.addr }

// connect connects a client through the proxy.
func (p *proxy) connect(opts []nats.Option) (*nats.Conn, error) {
	return nats.Connect(p.url(), opts...)
}

func (p *proxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

func (p *proxy) relay(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, s) {
		c.Close()
		s.Close()
		return
	}
	go p.pipe(c, s, p.pacing.up(p.latency))
	go p.pipe(s, c, p.pacing.down(p.latency))
}

// pipe copies src to dst with the proxy's latency and, with a bandwidth,
// pacer pc. When src ends, what was read is still delivered, then dst is
// closed, as a TCP close would be seen.
func (p *proxy) pipe(src, dst net.Conn, pc *pacer) {
	ch := make(chan chunk, 1024)
	go func() {
		for c := range ch {
			p.clk.until(c.at)
			if _, err := dst.Write(c.b); err != nil {
				break
			}
		}
		dst.Close()
		for range ch { // discard what cannot be written any more
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		switch {
		case n > 0 && pc != nil:
			for _, c := range pc.pace(buf[:n], time.Now()) {
				ch <- c
			}
		case n > 0:
			ch <- chunk{append([]byte(nil), buf[:n]...), time.Now().Add(p.latency)}
		}
		if err != nil {
			close(ch)
			return
		}
	}
}

// refuse stops accepting connections: a client's dial is refused.
func (p *proxy) refuse() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
}

// accept listens again on the same address.
func (p *proxy) accept() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.ln = ln
	go p.serve(ln)
	return nil
}

// close stops the proxy and breaks its connections.
// stall is not realised over TCP: a relay that holds both directions
// would have to stop reading both sockets, and the kernel's buffers would
// still take what was written. Scenarios with stall run in virtual time.
func (p *proxy) stall(time.Duration) error {
	return errors.New("the real-time runner cannot stall a link; stall runs on the virtual-time runner only")
}

func (p *proxy) close() {
	p.refuse()
	p.shut()
}
