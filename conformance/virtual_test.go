package conformance

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// prepared loads a scenario (a path, or YAML text when it has a newline),
// prepares it at scale 1 and runs the model on it.
func prepared(t *testing.T, src string) (*scenario.Scenario, *Side) {
	t.Helper()
	var sc *scenario.Scenario
	var err error
	if strings.Contains(src, "\n") {
		sc, err = scenario.Parse("inline.yaml", []byte(src))
	} else {
		sc, err = scenario.Load(src)
	}
	require.NoError(t, err)
	p, err := Prepare(sc, 1)
	require.NoError(t, err)
	res, err := model.Run(p, model.Config{Profile: profile()})
	require.NoError(t, err)
	return p, ModelSide(res)
}

// bubblesInARow is how many bubbles TestBubblesInARow plays.
const bubblesInARow = 40

// TestBubblesInARow plays a scenario in many synctest bubbles one after the
// other, each agreeing with the model. Every run takes timers from nats.go's
// global pool (FlushTimeout at set-up, the requests) and puts them back:
// without emptyTimerPool between bubbles the second bubble aborts the
// process (TestBubblesNeedEmptyPool shows it).
func TestBubblesInARow(t *testing.T) {
	p, m := prepared(t, filepath.Join(corpusDir, "request-from-handler-during-drain.yaml"))
	for i := range bubblesInARow {
		r, err := runVirtual(t, p, realDuration(m.Outcome))
		require.NoError(t, err, "bubble %d", i)
		require.Empty(t, Compare(m, r, tolerance), "bubble %d", i)
	}
}

// TestBubblesNeedEmptyPool runs TestBubblesInARow in a child process with
// the mutation that leaves nats.go's timer pool alone between bubbles
// (DRAINSIM_KEEP_TIMER_POOL=1) and expects the runtime's abort: it fails if
// the mutation is not caught, that is if the trap emptyTimerPool guards
// against is gone from this nats.go.
func TestBubblesNeedEmptyPool(t *testing.T) {
	if keepTimerPool {
		t.Skip("this is the mutated child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBubblesInARow$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DRAINSIM_KEEP_TIMER_POOL=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "bubbles in a row survived without emptying the timer pool:\n%s", out)
	require.Contains(t, string(out), "select on synctest channel from outside bubble")
}

// inBubble runs f in a synctest bubble with an embedded server that
// listens nowhere, shut down at the end.
func inBubble(t *testing.T, f func(t *testing.T, s *server.Server)) {
	emptyTimerPool()
	synctest.Test(t, func(t *testing.T) {
		s, err := server.NewServer(virtualStack{}.serverOptions(""))
		require.NoError(t, err)
		s.Start()
		defer s.WaitForShutdown()
		defer s.Shutdown()
		require.True(t, s.ReadyForConnections(time.Second))
		f(t, s)
	})
}

// readLine reads one protocol line and returns it with the virtual time
// since t0 at which it was read.
func readLine(t *testing.T, br *bufio.Reader, t0 time.Time) (string, time.Duration) {
	t.Helper()
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(line), time.Since(t0)
}

// handshake makes the NATS handshake on a new connection and returns its
// reader.
func handshake(t *testing.T, c io.ReadWriter) *bufio.Reader {
	t.Helper()
	br := bufio.NewReader(c)
	readLine(t, br, time.Now()) // INFO
	_, err := io.WriteString(c, "CONNECT {\"verbose\":false}\r\nPING\r\n")
	require.NoError(t, err)
	line, _ := readLine(t, br, time.Now())
	require.Equal(t, "PONG", line)
	return br
}

// TestVirtualLinkLatency: the handshake (INFO, CONNECT and PING, PONG)
// takes no time; after it each write arrives latency later, in order, and
// writes are pipelined: three PINGs written 1 ms apart on a 10 ms link get
// their PONGs one round trip (20 ms) after each, not 20 ms after the
// previous PONG. It catches a link that carries one write at a time (PONGs
// at 20, 30, 40 ms), one that ignores the latency, and one that delays the
// handshake.
func TestVirtualLinkLatency(t *testing.T) {
	inBubble(t, func(t *testing.T, s *server.Server) {
		l := &vlink{server: func() *server.Server { return s }, latency: 10 * time.Millisecond}
		t0 := time.Now()
		c, err := l.InProcessConn()
		require.NoError(t, err)
		defer c.Close()
		br := bufio.NewReader(c)
		info, at := readLine(t, br, t0)
		require.True(t, strings.HasPrefix(info, "INFO "), info)
		require.Zero(t, at, "INFO arrives at once: the handshake takes no time")
		_, err = io.WriteString(c, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n")
		require.NoError(t, err)
		line, at := readLine(t, br, t0)
		require.Equal(t, "PONG", line)
		require.Zero(t, at, "the handshake's PONG arrives at once")
		t0 = time.Now()
		for range 3 {
			_, err := io.WriteString(c, "PING\r\n")
			require.NoError(t, err)
			time.Sleep(time.Millisecond)
		}
		for i := range 3 {
			line, at := readLine(t, br, t0)
			require.Equal(t, "PONG", line)
			require.Equal(t, 20*time.Millisecond+time.Duration(i)*time.Millisecond, at, "PONG %d", i)
		}
	})
}

// handshakeScenario publishes every millisecond through a reconnection, so
// that publishes come while nats.go holds its connection's lock for the
// reconnection's handshake.
const handshakeScenario = `name: publish-during-reconnect-handshake
seed: 1
network: {latency: 2ms}
clients: [{name: app, reconnect_wait: 20ms}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 1ms}}
actions:
  - {at: 10ms, disconnect: {client: app, for: 5ms}}
  - {at: 12ms, publish: {client: app, subject: work, count: 60, interval: 1ms}}
`

// TestReconnectHandshakeNoStall: a publish waiting for nats.go's connection
// lock during a reconnection's handshake does not stall the bubble, and the
// run agrees with the model (the reconnection completes 2 × latency before
// the model's, within the tolerance). It catches a handshake that waits
// for the link's latency: the run then stalls (found by the swarm).
func TestReconnectHandshakeNoStall(t *testing.T) {
	defer func(d time.Duration) { stallAfter = d }(stallAfter)
	stallAfter = 5 * time.Second
	p, m := prepared(t, handshakeScenario)
	r, err := runVirtual(t, p, realDuration(m.Outcome))
	require.NoError(t, err)
	diffs, _, err := judge(m, r, variantsOf(p))
	require.NoError(t, err)
	require.Empty(t, diffs)
}

// TestVirtualLinkCut: a cut ends the client's connection at once, losing
// what is in flight, and the link refuses new connections until it is
// reopened, as a disconnect's outage does; a connection closed by the
// client still delivers what it wrote. It catches a cut that lets the
// in-flight PING through (the read would return a PONG) or that keeps
// taking connections.
func TestVirtualLinkCut(t *testing.T) {
	inBubble(t, func(t *testing.T, s *server.Server) {
		l := &vlink{server: func() *server.Server { return s }, latency: 10 * time.Millisecond}
		c, err := l.InProcessConn()
		require.NoError(t, err)
		br := handshake(t, c)
		_, err = io.WriteString(c, "PING\r\n")
		require.NoError(t, err)
		time.Sleep(5 * time.Millisecond) // the PING is half way
		t0 := time.Now()
		l.refuse()
		l.breakLinks()
		_, err = br.ReadString('\n')
		require.ErrorIs(t, err, io.EOF)
		require.Zero(t, time.Since(t0), "the cut is seen at once")
		_, err = l.InProcessConn()
		require.ErrorIs(t, err, errRefused)
		require.NoError(t, l.accept())
		c2, err := l.InProcessConn()
		require.NoError(t, err)
		br2 := handshake(t, c2)
		_, err = io.WriteString(c2, "PING\r\n")
		require.NoError(t, err)
		require.NoError(t, c2.Close())
		_, err = br2.ReadString('\n')
		require.Error(t, err, "a closed connection reads nothing more")
		time.Sleep(50 * time.Millisecond)
		require.Eventually(t, func() bool { return s.NumClients() == 0 }, time.Second, time.Millisecond,
			"the server sees both connections end")
	})
}

// tieScenario is the example of equal-time events: ten 200 ms
// callbacks under a connection drain started with them, so that each
// callback ends on a tick of the subscription drain's 100 ms poll. The
// model closes the connection at 2.0 s; in virtual time the real stack
// closes at 2.0, 2.01, 2.1 or 2.11 s, as the Go scheduler orders the tick
// and the callback's end.
const tieScenario = `name: tie-drain-200ms
seed: 1
network: {latency: 0s}
clients: [{name: app}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 200ms}}
actions:
  - {at: 0s, publish: {client: app, subject: work, count: 10}}
  - {at: 0s, drain: {client: app}}
`

// TestTiesJudgedAsRaces: a real run that differs from the model's run but
// matches one of the model's variants is a tie, not a disagreement. Shown
// on the tie scenario's variants (deterministic), then on 30 virtual runs of
// it, every one accepted. It catches judging ties as disagreements (judge
// without the variants): the variant that closes 100 ms late is then a
// difference.
func TestTiesJudgedAsRaces(t *testing.T) {
	p, m := prepared(t, tieScenario)
	vary := variantsOf(p)
	vs, err := vary()
	require.NoError(t, err)
	late := slices.IndexFunc(vs, func(v Variant) bool {
		return len(Compare(m, v.Side, tolerance)) > 0
	})
	require.Positive(t, late, "some variant of the tie scenario differs from the model's run")
	diffs, tie, err := judge(m, vs[late].Side, vary)
	require.NoError(t, err)
	require.Empty(t, diffs)
	require.NotEmpty(t, tie)
	// A run no variant produces stays a disagreement.
	odd := *vs[late].Side.Outcome
	odd.Connections = slices.Clone(odd.Connections)
	odd.Connections[0].LastError = "nats: something else"
	diffs, tie, err = judge(m, &Side{Outcome: &odd, Keys: vs[late].Side.Keys}, vary)
	require.NoError(t, err)
	require.NotEmpty(t, diffs)
	require.Empty(t, tie)

	closed := map[string]int{}
	for range 30 {
		r, err := runVirtual(t, p, realDuration(m.Outcome))
		require.NoError(t, err)
		diffs, tie, err := judge(m, r, vary)
		require.NoError(t, err)
		require.Empty(t, diffs)
		closed[fmt.Sprintf("%s (%s)", ms(*r.Outcome.Connections[0].ClosedNS), cmp.Or(tie, "agrees"))]++
	}
	t.Logf("30 virtual runs of the tie scenario closed at: %v", closed)
}

// restartsScenario has two server restarts that end at one instant.
const restartsScenario = `name: restarts-ending-together
seed: 1
network: {latency: 250us}
clients: [{name: app, reconnect_wait: 50ms}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 1ms}}
actions:
  - {at: 0s, restart_server: {for: 20ms}}
  - {at: 10ms, restart_server: {for: 10ms}}
  - {at: 100ms, publish: {client: app, subject: work}}
`

// TestRestartsEndingTogether: when two restarts end at one instant only
// one brings a server back, and the run agrees with the model. It catches
// both restarts starting a server (found by the swarm): the second is never
// shut down, and the bubble ends with its goroutines left ("deadlock: main
// bubble goroutine has exited but blocked goroutines remain").
func TestRestartsEndingTogether(t *testing.T) {
	p, m := prepared(t, restartsScenario)
	for range 20 {
		r, err := runVirtual(t, p, realDuration(m.Outcome))
		require.NoError(t, err)
		diffs, _, err := judge(m, r, variantsOf(p))
		require.NoError(t, err)
		require.Empty(t, diffs)
	}
}

// restartInOutageScenario restarts the server at once while the client's network is
// down for 500 ms (the swarm's seed 3168, shrunk).
const restartInOutageScenario = `name: restart-during-outage
seed: 1
network: {latency: 0s}
clients: [{name: c0, reconnect_wait: 460ms}]
actions:
  - {at: 0s, disconnect: {client: c0, for: 500ms}}
  - {at: 0s, restart_server: {}}
`

// TestRestartDuringOutage: a restart that ends while a disconnect's outage
// lasts leaves the client's link refusing until the outage's end, as the
// model's network does: the reconnect attempt at 460 ms fails and the one
// at 920 ms succeeds. It catches a restart that reopens every link at its
// end (the client was back at 460 ms; both runners did so until the swarm
// found it).
func TestRestartDuringOutage(t *testing.T) {
	p, m := prepared(t, restartInOutageScenario)
	r, err := runVirtual(t, p, realDuration(m.Outcome))
	require.NoError(t, err)
	require.Empty(t, Compare(m, r, tolerance))
}

// keysScenario: a callback replies, then makes a request that the drain
// refuses, both at one instant (the swarm's seed 6913, shrunk).
const keysScenario = `name: reply-then-refused-request
seed: 1
network: {latency: 1.75ms}
clients: [{name: c0}]
subscriptions:
  - id: s3
    client: c0
    subject: t1
    handler:
      duration: 2ms
      actions:
        - {reply: {size: 16}}
        - {request: {subject: svc, size: 16, timeout: 300ms}}
actions:
  - {at: 0s, publish: {client: c0, subject: t1, reply: inbox, size: 96}}
  - {at: 5ms, drain: {client: c0}}
`

// TestKeysRankRefusedCalls: a request refused while draining published
// nothing but still takes its rank among its source's calls, as the real
// runner's keys do, so the reply made before it is s3#1/0 on both sides. It
// catches ModelKeys ranking calls of one instant by message ID, which put
// the refused request (ID 0) first and the reply at s3#1/1.
func TestKeysRankRefusedCalls(t *testing.T) {
	p, m := prepared(t, keysScenario)
	var reply model.CallOutcome
	for _, c := range m.Outcome.Calls {
		if c.Verb == "reply" {
			reply = c
		}
	}
	require.Equal(t, "s3#1/0", m.key(reply.Msg))
	r, err := runVirtual(t, p, realDuration(m.Outcome))
	require.NoError(t, err)
	require.Empty(t, Compare(m, r, tolerance))
}
