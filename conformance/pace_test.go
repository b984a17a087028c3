package conformance

import (
	"bytes"
	"strconv"
	"time"
)

// pacer carries one direction of a link with a bandwidth the way the
// model's link does (model/net.go): the protocol operations written leave
// one after the other, each after those written before it, and each
// arrives latency after its last byte has crossed. It splits the byte
// stream it is given into whole operations (an operation cut between two
// reads waits for its end), and charges each the bytes the model charges:
// what it takes on the wire, except the headers of HMSG and HPUB, which
// count as the MSG or PUB of their payload alone. The model has no
// headers: its messages carry no key (the harness's Drainsim-Key header)
// and it does not count a no-responders status.
//
// A pacer is used by one goroutine at a time.
type pacer struct {
	bw      int64 // bytes per second, > 0
	latency time.Duration
	free    time.Time // when everything paced so far has left
	rem     int64     // rounding remainder of transmission times, in byte·ns per second
	part    []byte    // the start of an operation whose end has not come yet
}

// newPacer returns a pacer for bandwidth bw (bytes per second), or nil
// when bw is 0 (unlimited).
func newPacer(bw int, latency time.Duration) *pacer {
	if bw == 0 {
		return nil
	}
	return &pacer{bw: int64(bw), latency: latency}
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
