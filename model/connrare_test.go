package model

import (
	"testing"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
	"github.com/stretchr/testify/require"
)

// TestNewConnResetsRare: a connection a Runner hands to its next run
// starts with its rare part (connRare) zero, whatever the previous run
// left in it: a run that never touches it (no reconnect, PING timer,
// event-loop hold or forced cut) must end with it zero.
// Catches newConn keeping the rare part (the runs that would show it end
// with it clean, so TestRunnerRecyclesWorlds does not).
func TestNewConnResetsRare(t *testing.T) {
	var r Runner
	sc, err := scenario.Parse("drain.yaml", []byte(`
name: drain
seed: 1
clients: [{name: app}, {name: other}]
subscriptions: [{id: s, client: app, subject: work}]
actions:
  - {at: 0, publish: {client: other, subject: work, count: 3}}
  - {at: 1ms, drain: {client: app}}
`))
	require.NoError(t, err)
	_, err = r.Run(sc, Config{})
	require.NoError(t, err)
	conns := r.recycled.conns.free
	require.NotEmpty(t, conns)
	for _, c := range conns {
		*c.rarely() = connRare{deferred: []func(){func() {}}, reconnects: 3, lastAttempt: 5, dialing: true,
			reconRng: sim.NewPCG(1), pout: 2, cutReason: DropForceReconnect}
	}
	_, err = r.Run(sc, Config{})
	require.NoError(t, err)
	for _, c := range r.recycled.conns.free {
		require.Equal(t, connRare{}, *c.rare, "%s's rare part after a second run", c.name)
	}
}

// TestDrainStreamOnlyToOrder: a connection drain draws its subscriptions'
// order from a stream of its own, kept in connRare; with one subscription
// there is nothing to order, and the drain makes neither the stream nor
// the connRare (Scale/clients=1k: a thousand such drains, each a restream
// and a connRare's lines more; docs/performance-history.md, h26clients). Catches
// the stream made for a single subscription (app's rare part made) and a
// drain of two that does not draw its order (duo's stream never made).
func TestDrainStreamOnlyToOrder(t *testing.T) {
	var r Runner
	sc, err := scenario.Parse("drain.yaml", []byte(`
name: drain
seed: 1
clients: [{name: app}, {name: duo}]
subscriptions:
  - {id: s, client: app, subject: work}
  - {id: d1, client: duo, subject: work}
  - {id: d2, client: duo, subject: other}
actions:
  - {at: 0, publish: {client: app, subject: work, count: 3}}
  - {at: 1ms, drain: {client: app}}
  - {at: 1ms, drain: {client: duo}}
`))
	require.NoError(t, err)
	_, err = r.Run(sc, Config{})
	require.NoError(t, err)
	conns := map[string]*Conn{}
	for _, c := range r.recycled.conns.free {
		conns[c.name] = c
	}
	require.Nil(t, conns["app"].rare, "app (one subscription) made its connRare")
	require.NotNil(t, conns["duo"].rare, "duo (two subscriptions) made no connRare")
	require.NotNil(t, conns["duo"].rare.drainRng, "duo (two subscriptions) made no drain stream")
}

// TestConnWaitsRewoundOnFirstUse: a connection's flush and drain state
// (connWaits) is kept by the next run's set-up untouched and rewound on
// that run's first flush, which then reuses the last run's flushWait and
// sees none of its PONG waiters (Scale/clients=1k: set-up wrote these
// 144 bytes, two of a Conn's lines, long before a flush read them). Catches
// clear rewinding connWaits (set-up touching it again) or dropping it (its
// objects made anew every run), pongs ignoring waitsLive (a waiter of the
// last run popped by this run's first PONG), and waiting not rewinding
// (the arena handing out a second flushWait, the queue keeping the last
// run's waiter).
func TestConnWaitsRewoundOnFirstUse(t *testing.T) {
	var c Conn
	if c.pongs() != nil {
		t.Fatal("a new connection has a PONG queue before its first flush")
	}
	fw := c.newFlushWait(func(string) {})
	c.waiting().pongs.push(fw)
	waits := c.waits
	c.clear() // the next run's set-up
	if c.waits != waits {
		t.Fatal("clear dropped the connection's connWaits")
	}
	if waits.pongs.len() != 1 || waits.flushWaits.used != 1 {
		t.Fatalf("clear rewound connWaits (%d PONG waiters, %d flushWaits used), want it untouched until the run's first use",
			waits.pongs.len(), waits.flushWaits.used)
	}
	if c.pongs() != nil {
		t.Fatal("the last run's PONG waiters are seen before this run's first flush")
	}
	if got := c.newFlushWait(func(string) {}); got != fw {
		t.Error("the run's first flush made a new flushWait, want the last run's reused")
	}
	if q := c.pongs(); q == nil || q.len() != 0 || q.items[:1][0] != nil {
		t.Error("the run's PONG queue keeps the last run's waiter")
	}
}

// TestWriteTakesPooledBuffer: a connection holds no outbound buffer from
// its set-up or a flush to its next write, which takes the pool's last
// returned one (outBuf; Scale/clients=1k: a buffer taken at the flush and
// held was cold by the next write, a thousand connections' waves later).
// Catches newConn or flush taking a buffer again, and a write appending to
// no buffer (a new array instead of the pooled one).
func TestWriteTakesPooledBuffer(t *testing.T) {
	sc, err := scenario.Parse("one.yaml", []byte(`
name: one
seed: 1
clients: [{name: app}]
`))
	require.NoError(t, err)
	w, err := newWorld(sc, Config{}, new(Runner))
	require.NoError(t, err)
	c := w.conns[0]
	require.Nil(t, c.out, "a new connection's outbound buffer")
	pooled := make([]frame, 0, 4)
	w.putFrames(pooled)
	c.write(frame{op: opPing}, 6)
	require.Same(t, &pooled[:1][0], &c.out[0], "the first write's buffer, want the pool's last returned")
	c.flush()
	require.Nil(t, c.out, "the outbound buffer after a flush")
	again := make([]frame, 0, 4)
	w.putFrames(again)
	c.write(frame{op: opPing}, 6)
	require.Same(t, &again[:1][0], &c.out[0], "the first write's buffer after a flush, want the pool's last returned")
}
