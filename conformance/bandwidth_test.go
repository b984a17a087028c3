package conformance

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"
)

// TestOpSize: the pacer cuts a byte stream into whole protocol operations
// and charges each what the model's wireSize does: an HMSG or HPUB as the
// MSG or PUB of its payload alone. It catches charging the header (the
// HMSG would cost 140 bytes), pacing by write rather than by operation,
// and taking a partial operation as whole.
func TestOpSize(t *testing.T) {
	hmsg := "HMSG work 1 22 122\r\n" + strings.Repeat("h", 22) + strings.Repeat("p", 100) + "\r\n"
	for _, c := range []struct {
		in         string
		n, charged int
	}{
		{"PING\r\n", 6, 6},
		{"PING", 0, 0},
		{"MSG work 1 5\r\nhello\r\n", 21, 21},
		{"MSG work 1 _INBOX.x 5\r\nhello\r\n", 30, 30},
		{"MSG work 1 5\r\nhel", 0, 0},
		{"PUB work 5\r\nhello\r\nPING\r\n", 19, 19},
		{hmsg, len(hmsg), len("MSG work 1 100\r\n") + 100 + 2},
		{"HPUB work inbox 22 27\r\n" + strings.Repeat("h", 22) + "hello\r\n", 52, len("PUB work inbox 5\r\nhello\r\n")},
		{"MSG work 1 x\r\n", 14, 14}, // a size that does not parse: the line alone
	} {
		n, charged := opSize([]byte(c.in))
		require.Equal(t, c.n, n, "%q", c.in)
		require.Equal(t, c.charged, charged, "%q", c.in)
	}
	// Operations split across reads are paced when whole, one chunk each.
	p := newPacer(1000, 0, nil, -1)
	t0 := time.Unix(0, 0)
	require.Empty(t, p.pace([]byte("PUB work 5\r\nhe"), t0))
	out := p.pace([]byte("llo\r\nPING\r\n"), t0)
	require.Len(t, out, 2)
	require.Equal(t, "PUB work 5\r\nhello\r\n", string(out[0].b))
	require.Equal(t, 19*time.Millisecond, out[0].at.Sub(t0))
	require.Equal(t, 25*time.Millisecond, out[1].at.Sub(t0))
}

// TestVirtualLinkBandwidth: with a bandwidth, each operation leaves after
// the one before it and arrives latency after its last byte: two PINGs
// written at once on a 10 ms, 1000 B/s link (6 ms per PING or PONG) arrive
// at 16 and 22 ms, and their PONGs, each leaving when the link is free, at
// 32 and 38 ms. It catches a link that ignores the bandwidth (both PONGs
// at 20 ms), one that paces a whole write as one piece (both at 38 ms),
// and one that does not serialise the two directions' operations.
func TestVirtualLinkBandwidth(t *testing.T) {
	inBubble(t, func(t *testing.T, s *server.Server) {
		l := &vlink{server: func() *server.Server { return s }, latency: 10 * time.Millisecond, pacing: pacing{bandwidth: 1000}}
		c, err := l.InProcessConn()
		require.NoError(t, err)
		defer c.Close()
		br := handshake(t, c)
		t0 := time.Now()
		_, err = io.WriteString(c, "PING\r\nPING\r\n")
		require.NoError(t, err)
		for i, want := range []time.Duration{32 * time.Millisecond, 38 * time.Millisecond} {
			line, at := readLine(t, br, t0)
			require.Equal(t, "PONG", line)
			require.Equal(t, want, at, "PONG %d", i)
		}
	})
}

// TestBandwidthCorpusNeedsTheBandwidth plays the bandwidth scenarios of
// the corpus on a link without the bandwidth and expects a disagreement
// with the model: the mutation of a link that ignores network.bandwidth,
// which the corpus must catch.
func TestBandwidthCorpusNeedsTheBandwidth(t *testing.T) {
	for _, f := range []string{"bandwidth-drain-timeout.yaml", "bandwidth-final-flush-loses.yaml"} {
		p, m := prepared(t, filepath.Join(corpusDir, f))
		require.NotZero(t, p.Network.Bandwidth, f)
		unlimited, err := Prepare(p, 1)
		require.NoError(t, err)
		unlimited.Network.Bandwidth = 0
		r, err := runVirtual(t, unlimited, realDuration(m.Outcome))
		require.NoError(t, err)
		require.NotEmpty(t, Compare(m, r, tolerance), "%s agrees without its bandwidth", f)
	}
}

// TestInboxNames: nats.go's response inboxes are charged as the model
// names them. Client 1's response mux SUB teaches its prefix; its first
// and second requests' reply tokens become 1 and 2, in the order they are
// written; the server's MSG of a reply to client 1, and another client's
// PUB of it, use the same names. It catches charging nats.go's own names
// (27 bytes more per reply subject) and numbering tokens per link rather
// than per owner.
func TestInboxNames(t *testing.T) {
	const nuid = "_INBOX.abcdefghijklmnopqrstuv."
	var x inboxNames
	require.Equal(t, len(nuid)-len("_INBOX.c1."), x.excess([]byte("SUB "+nuid+"* 2"), 1))
	perReply := len(nuid+"AAAAAAAA") - len("_INBOX.c1.1")
	require.Equal(t, 27, perReply)
	require.Equal(t, perReply, x.excess([]byte("HPUB svc "+nuid+"AAAAAAAA 30 46"), 1))
	require.Equal(t, perReply, x.excess([]byte("HPUB svc "+nuid+"BBBBBBBB 30 46"), 1))
	require.Equal(t, perReply, x.excess([]byte("HMSG svc 1 "+nuid+"AAAAAAAA 30 46"), -1), "the server's copy to a responder")
	require.Equal(t, perReply, x.excess([]byte("HPUB "+nuid+"BBBBBBBB 30 46"), 0), "a responder's reply")
	require.Equal(t, perReply, x.excess([]byte("HMSG "+nuid+"BBBBBBBB 2 30 46"), -1), "the reply")
	require.Zero(t, x.excess([]byte("MSG work 1 inbox 5"), 0), "no inbox")
	require.Zero(t, x.excess([]byte("MSG _INBOX.zzzzzzzzzzzzzzzzzzzzzz.x 1 5"), -1), "an inbox no client wrote")
}
