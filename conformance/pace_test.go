package conformance

import (
	"bytes"
	"strconv"
	"sync"
	"time"
)

// pacer carries one direction of a link with a bandwidth the way the
// model's link does (model/net.go): the protocol operations written leave
// one after the other, each after those written before it, and each
// arrives latency after its last byte has crossed. It splits the byte
// stream it is given into whole operations (an operation cut between two
// reads waits for its end), and charges each the bytes the model charges:
// what it takes on the wire, except the headers of HMSG and HPUB, which
// count as the MSG or PUB of their payload alone, and response inboxes,
// which count as the model names them (see inboxNames). The model has no
// headers: its messages carry no key (the harness's Drainsim-Key header)
// and it does not count a no-responders status.
//
// A pacer is used by one goroutine at a time.
type pacer struct {
	bw      int64 // bytes per second, > 0
	latency time.Duration
	names   *inboxNames
	client  int       // the client whose writes these are, -1 for the server's
	free    time.Time // when everything paced so far has left
	rem     int64     // rounding remainder of transmission times, in byte·ns per second
	part    []byte    // the start of an operation whose end has not come yet
}

// pacing is what a link needs to pace both its directions: the run's
// bandwidth (0: unlimited) and inbox names, and the link's client.
type pacing struct {
	bandwidth int
	names     *inboxNames
	client    int
}

// pacingOf is the pacing of the link r makes next, for its client number
// len(r.conns).
func pacingOf(r *realRun) pacing {
	return pacing{bandwidth: r.sc.Network.Bandwidth, names: &r.names, client: len(r.conns)}
}

// up and down return the pacers of a new connection's two directions, nil
// without a bandwidth.
func (g pacing) up(latency time.Duration) *pacer {
	return newPacer(g.bandwidth, latency, g.names, g.client)
}

func (g pacing) down(latency time.Duration) *pacer {
	return newPacer(g.bandwidth, latency, g.names, -1)
}

// newPacer returns a pacer for bandwidth bw (bytes per second) of what
// client writes (-1: what the server writes to a client), or nil when bw is
// 0 (unlimited). names is shared by every link of a run.
func newPacer(bw int, latency time.Duration, names *inboxNames, client int) *pacer {
	if bw == 0 {
		return nil
	}
	return &pacer{bw: int64(bw), latency: latency, names: names, client: client}
}

// pace takes b, read or written at now, and returns the whole operations
// it completes, each as a chunk with its arrival time.
func (p *pacer) pace(b []byte, now time.Time) []chunk {
	buf := append(p.part, b...)
	var out []chunk
	for {
		n, charged := opSize(buf)
		if n == 0 {
			break
		}
		charged -= p.names.excess(buf[:bytes.Index(buf, crlf)], p.client)
		p.free = later(now, p.free).Add(p.transmit(charged))
		out = append(out, chunk{b: bytes.Clone(buf[:n]), at: p.free.Add(p.latency)})
		buf = buf[n:]
	}
	p.part = bytes.Clone(buf)
	return out
}

// end is when the end of the stream, sent at now, arrives: behind
// everything paced before it.
func (p *pacer) end(now time.Time) time.Time {
	return later(now, p.free).Add(p.latency)
}

// transmit is the model's link.transmit: how long n bytes take, carrying
// the rounding remainder so that many small operations add up exactly.
func (p *pacer) transmit(n int) time.Duration {
	num := int64(n)*int64(time.Second) + p.rem
	p.rem = num % p.bw
	return time.Duration(num / p.bw)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// crlf ends every protocol line.
var crlf = []byte("\r\n")

// opSize returns the length of the first whole protocol operation in b (0
// when b holds none yet) and the bytes the model charges for it. MSG, PUB,
// HMSG and HPUB lines are followed by their payload and CRLF; a line whose
// sizes do not parse counts alone (the peer rejects it anyway).
func opSize(b []byte) (n, charged int) {
	i := bytes.Index(b, crlf)
	if i < 0 {
		return 0, 0
	}
	line := b[:i]
	n = i + len(crlf)
	fields := bytes.Fields(line)
	if len(fields) == 0 {
		return n, n
	}
	verb := string(bytes.ToUpper(fields[0]))
	var hdr, total int
	switch {
	case (verb == "MSG" && len(fields) >= 4) || (verb == "PUB" && len(fields) >= 3):
		total = atoi(fields[len(fields)-1])
	case (verb == "HMSG" && len(fields) >= 5) || (verb == "HPUB" && len(fields) >= 4):
		hdr, total = atoi(fields[len(fields)-2]), atoi(fields[len(fields)-1])
		if hdr > total {
			return n, n
		}
	default:
		return n, n
	}
	if total < 0 || hdr < 0 {
		return n, n
	}
	if len(b) < n+total+len(crlf) {
		return 0, 0
	}
	charged = n + total + len(crlf)
	if verb[0] == 'H' {
		// The MSG or PUB line of the payload alone: no "H", no header
		// size field, the payload's size for the total.
		payload := total - hdr
		charged -= 1 + 1 + len(fields[len(fields)-2]) + len(fields[len(fields)-1]) - len(strconv.Itoa(payload)) + hdr
	}
	return n + total + len(crlf), charged
}

// atoi is a size field's value, -1 when it is not a number.
func atoi(b []byte) int {
	v, err := strconv.Atoi(string(b))
	if err != nil {
		return -1
	}
	return v
}

// inboxNames knows the response inboxes of a run's clients, so that a
// pacer charges them as the model names them: nats.go's response mux
// subscribes to "_INBOX.<22-character nuid>.*" and each request replies to
// "_INBOX.<nuid>.<8 characters>", the model's to "_INBOX.c<client>.*" and
// "_INBOX.c<client>.<n>", n counting the client's requests from 1: 27
// bytes fewer per reply subject with fewer than 10 clients and requests.
// A prefix belongs to the client that first writes it (the SUB of its
// response mux, before any request), and its replies are numbered in the
// order they first reach the wire, which is the model's order unless a
// request fails before it is written.
type inboxNames struct {
	mu     sync.Mutex
	owners map[string]*inboxOwner // by prefix, "_INBOX.<nuid>."
}

type inboxOwner struct {
	client int
	tokens map[string]int // reply token → the model's request number
}

var inboxPrefix = []byte("_INBOX.")

// excess returns how many bytes longer the inboxes in the protocol line
// are than the model's names for them; client is the writer (-1 for the
// server), who learns the names as it writes them.
func (x *inboxNames) excess(line []byte, client int) int {
	if x == nil || !bytes.Contains(line, inboxPrefix) {
		return 0
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.owners == nil {
		x.owners = map[string]*inboxOwner{}
	}
	excess := 0
	for _, f := range bytes.Fields(line) {
		if !bytes.HasPrefix(f, inboxPrefix) {
			continue
		}
		dot := bytes.IndexByte(f[len(inboxPrefix):], '.')
		if dot < 0 {
			continue
		}
		prefix, token := string(f[:len(inboxPrefix)+dot+1]), string(f[len(inboxPrefix)+dot+1:])
		o := x.owners[prefix]
		if o == nil {
			if client < 0 {
				continue // not a client's response mux
			}
			o = &inboxOwner{client: client, tokens: map[string]int{}}
			x.owners[prefix] = o
		}
		model := len(inboxPrefix) + len("c") + len(strconv.Itoa(o.client)) + len(".")
		switch n, ok := o.tokens[token]; {
		case token == "*":
			model++
		case ok:
			model += len(strconv.Itoa(n))
		case client == o.client:
			o.tokens[token] = len(o.tokens) + 1
			model += len(strconv.Itoa(len(o.tokens)))
		default:
			model += len(token)
		}
		excess += len(f) - model
	}
	return excess
}
