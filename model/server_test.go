package model_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// us is a virtual time in microseconds.
func us(n int64) sim.Time { return sim.Time(n * int64(time.Microsecond)) }

// deliveriesTo returns the ledger entries of the deliveries to sub, in
// commit order.
func deliveriesTo(res *model.Result, sub string) []model.Delivery {
	var out []model.Delivery
	for _, d := range res.Ledger.Deliveries {
		if res.Subs[d.Sub].ID == sub {
			out = append(out, d)
		}
	}
	return out
}

// events returns the trace events of a kind.
func events(res *model.Result, kind string) []sim.Event {
	var out []sim.Event
	for _, e := range res.Trace.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestBandwidthKeepsOrderAndTheBarrier(t *testing.T) {
	// 1 MB/s: a byte takes 1 µs. A PUB of 1,000 bytes on "work" is 1,017
	// bytes on the wire, its MSG 1,019 ("MSG work 1 1000\r\n", payload,
	// "\r\n"). The publisher's three PUBs arrive 1,017 µs apart after the
	// 1 ms latency; the server writes each MSG as soon as the link is free,
	// and the subscriber's PING, processed at 3,506 µs while the second MSG
	// is on the wire, gets its PONG after that MSG and before the third.
	res := runYAML(t, `
seed: 1
network: {latency: 1ms, bandwidth: 1MB/s}
clients: [{name: pub}, {name: app}]
subscriptions:
  - {id: s, client: app, subject: work}
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 3, size: 1000}}
  - {at: 2.5ms, flush: {client: app}}
`)
	ds := deliveriesTo(res, "s")
	require.Len(t, ds, 3)
	var committed, arrived []sim.Time
	for i, d := range ds {
		require.Equal(t, i+1, int(d.Msg), "publish order")
		require.Equal(t, model.DlvHandled, d.Fate)
		committed = append(committed, d.CommittedAt)
		arrived = append(arrived, d.ArrivedAt)
	}
	require.Equal(t, []sim.Time{us(2017), us(3034), us(4051)}, committed, "PUBs arrive one wire time apart")
	// MSG 1 is written at once (1,019 µs); MSG 2 waits for the link; the
	// PONG (6 bytes) and MSG 3 go out together after it.
	require.Equal(t, []sim.Time{us(4036), us(5055), us(6080)}, arrived)
	flush := res.Calls()[res.NumCalls()-1]
	require.Equal(t, "flush", res.Str(flush.Verb))
	require.Equal(t, us(5061), flush.ReturnedAt, "the PONG comes after every MSG queued before the PING")
}

func TestUnlimitedBandwidthHasNoBacklog(t *testing.T) {
	// Without a bandwidth a write arrives whole after the latency, however
	// large, and max_pending never comes into play.
	res := runYAML(t, `
seed: 1
network: {latency: 1ms}
server: {max_pending: 1MiB}
clients: [{name: pub}, {name: app}]
subscriptions:
  - {id: s, client: app, subject: work}
actions:
  - {at: 0s, publish: {client: pub, subject: work, count: 2000, size: 1KiB}}
`)
	for _, d := range deliveriesTo(res, "s") {
		require.Equal(t, ms(2), d.ArrivedAt)
		require.Equal(t, model.DlvHandled, d.Fate)
	}
	require.Empty(t, events(res, "server.stall"))
	require.Empty(t, events(res, "server.slow_consumer"))
}

// fanIn is two publishers sending 1 KiB messages as fast as their 10 MB/s
// links allow to one subscriber whose link carries only 10 MB/s, so the
// server-side backlog of app's connection grows by about 10 MB/s.
const fanIn = `
seed: 1
network: {latency: 250us, bandwidth: 10MB/s}
clients:
  - {name: feed1}
  - {name: feed2}
  - {name: shop}
  - {name: app, reconnect_wait: 50ms}
subscriptions:
  - {id: bulk, client: app, subject: feed}
`

func TestMaxPendingClosesTheSlowConsumer(t *testing.T) {
	res := runYAML(t, fanIn+`
server: {max_pending: 1MiB}
actions:
  - {at: 0s, publish: {client: feed1, subject: feed, count: 1500, size: 1KiB}}
  - {at: 0s, publish: {client: feed2, subject: feed, count: 1500, size: 1KiB}}
  - {at: 400ms, publish: {client: feed1, subject: feed, count: 1, size: 1KiB}}
`)
	// The stall only slows the feeds: a read that has stalled 10 ms
	// delivers the rest at once, and the backlog passes max_pending.
	sc := events(res, "server.slow_consumer")
	require.Len(t, sc, 1)
	closedAt := sc[0].At
	var dropped, before, after int
	for _, d := range deliveriesTo(res, "bulk") {
		switch {
		case d.Reason == model.DropServerSlowConsumer:
			dropped++
			require.Equal(t, closedAt, d.DroppedAt)
			require.Equal(t, model.NoTime, d.ArrivedAt, "the server's buffer is discarded, not flushed")
		case d.CommittedAt <= closedAt:
			before++
			require.Less(t, int64(d.ArrivedAt), int64(closedAt.Add(200*time.Millisecond)), "what was on the wire still arrives")
		default:
			after++
		}
	}
	require.Positive(t, dropped)
	require.Positive(t, before)
	require.Equal(t, 1, after, "the message published after the reconnect is delivered")
	// The client sees the end of the stream and reconnects; nats-server
	// sends no -ERR for a slow consumer.
	app := res.Conn("app")
	require.Equal(t, []model.Status{model.Connected, model.Reconnecting, model.Connected}, statusList(app))
	require.Greater(t, int64(app.Status[1].At), int64(closedAt))
	require.Empty(t, res.Str(app.LastError))
}

func statusList(c *model.ConnRecord) []model.Status {
	var out []model.Status
	for _, s := range c.Status {
		out = append(out, s.Status)
	}
	return out
}

func TestMaxPendingBelowMaxPayloadIsRefused(t *testing.T) {
	sc, err := scenario.Parse("small.yaml", []byte("name: small\nserver:\n  max_pending: 512KiB\n"))
	require.NoError(t, err)
	_, err = model.Run(sc, model.Config{})
	var e *scenario.Error
	require.True(t, errors.As(err, &e), "got %v", err)
	require.Equal(t, "small.yaml:3: server.max_pending: max_pending 524288 is below max_payload 1048576 (profile go): nats-server refuses to start with that; want at least 1048576", err.Error())
}

// stallHole is the situation of docs/server.md#hole-1-the-fast-producer-stall:
// two feeds keep app's server-side buffer over 75 % of max_pending, and
// app drains its orders subscription while the shop publisher is stalled
// delivering an order to it.
const stallHole = fanIn + `
  - {id: orders, client: app, subject: orders}
actions:
  - {at: 0s, publish: {client: feed1, subject: feed, count: 700, size: 1KiB}}
  - {at: 0s, publish: {client: feed2, subject: feed, count: 700, size: 1KiB}}
  - {at: 0s, publish: {client: shop, subject: orders, count: 100, interval: 1ms, size: 100}}
  - {at: 70ms, drain_sub: {sub: orders}}
`

func TestStallWindowLetsOneMessagePerPublisherPastTheUnsub(t *testing.T) {
	res := runYAML(t, stallHole+"server: {max_pending: 1MiB}\n")
	orders := res.Sub("orders")
	stalls := events(res, "server.stall")
	require.NotEmpty(t, stalls)
	for _, e := range stalls {
		f, _ := res.Trace.Field(e, "for")
		require.Equal(t, int64(2*time.Millisecond), f.Int, "2 ms below max_pending")
	}
	var late []model.Delivery
	for _, d := range deliveriesTo(res, "orders") {
		m := res.Ledger.Message(int(d.Msg))
		if !d.AfterUnsub {
			require.LessOrEqual(t, int64(d.CommittedAt), int64(orders.UnsubProcessedAt))
			continue
		}
		late = append(late, d)
		// Accepted before the UNSUB, held for its 2 ms, committed after.
		require.Less(t, int64(m.AcceptedAt), int64(orders.UnsubProcessedAt))
		require.Equal(t, m.AcceptedAt.Add(2*time.Millisecond), d.CommittedAt)
		require.Greater(t, int64(d.CommittedAt), int64(orders.UnsubProcessedAt))
		require.Equal(t, "shop", res.Str(m.From))
	}
	require.Len(t, late, 1, "at most one message per stalled publisher")
	d := late[0]
	// It arrives right behind the drain's PONG; nats.go had nothing
	// pending for orders and removed it at the PONG.
	require.GreaterOrEqual(t, int64(d.ArrivedAt), int64(orders.BarrierAt))
	require.Equal(t, orders.BarrierAt, orders.RemovedAt)
	require.Equal(t, model.DlvDropped, d.Fate)
	require.Equal(t, model.DropUnknownSid, d.Reason)
	require.True(t, d.Draining)
	require.Len(t, events(res, "server.late_msg"), 1)
}

func TestStallBudgetPerRead(t *testing.T) {
	// shop publishes 20 orders at once while app's gate is up. The first
	// PUB is a read of its own and stalls; the other 19 arrive meanwhile
	// and are the next read, which stalls 5 times 2 ms, has used its
	// 10 ms, and delivers the remaining 14 without waiting.
	res := runYAML(t, fanIn+`
  - {id: orders, client: app, subject: orders}
server: {max_pending: 1MiB}
actions:
  - {at: 0s, publish: {client: feed1, subject: feed, count: 700, size: 1KiB}}
  - {at: 0s, publish: {client: feed2, subject: feed, count: 700, size: 1KiB}}
  - {at: 70ms, publish: {client: shop, subject: orders, count: 20, size: 100}}
`)
	var stalled []time.Duration
	for _, e := range events(res, "server.stall") {
		if e.Actor == "shop" {
			f, _ := res.Trace.Field(e, "read_stalled")
			stalled = append(stalled, time.Duration(f.Int))
		}
	}
	ms2 := 2 * time.Millisecond
	require.Equal(t, []time.Duration{0, 0, ms2, 2 * ms2, 3 * ms2, 4 * ms2}, stalled)
	var free []sim.Time
	for _, d := range deliveriesTo(res, "orders") {
		if d.CommittedAt == res.Ledger.Message(int(d.Msg)).AcceptedAt {
			free = append(free, d.CommittedAt)
		}
	}
	require.Len(t, free, 14)
	for _, at := range free {
		require.Equal(t, free[0], at, "delivered together, once the read's 10 ms are used")
	}
}

func TestStallNeedsTheBacklogOverThreeQuarters(t *testing.T) {
	// The control of the STALL experiment: the same backlog with the
	// default max_pending (64 MiB) opens no stall gate, and nothing lands
	// after the UNSUB.
	res := runYAML(t, stallHole)
	require.Empty(t, events(res, "server.stall"))
	for _, d := range res.Ledger.Deliveries {
		require.False(t, d.AfterUnsub)
		require.Equal(t, res.Ledger.Message(int(d.Msg)).AcceptedAt, d.CommittedAt, "delivered as the PUB is processed")
	}
}

func TestNoFastProducerStallDropsInstead(t *testing.T) {
	res := runYAML(t, stallHole+"server: {max_pending: 1MiB, no_fast_producer_stall: true}\n")
	require.Empty(t, events(res, "server.stall"))
	stalledDrops := map[string]int{}
	for _, d := range res.Ledger.Deliveries {
		require.False(t, d.AfterUnsub, "no stall, no hole")
		m := res.Ledger.Message(int(d.Msg))
		require.Equal(t, m.AcceptedAt, d.CommittedAt, "nothing waits")
		if d.Fate == model.DlvDropped && d.Reason == model.DropServerStalled {
			stalledDrops[res.Subs[d.Sub].ID]++
			require.Equal(t, model.NoTime, d.ArrivedAt)
		}
	}
	require.Positive(t, stalledDrops["bulk"])
	require.Positive(t, stalledDrops["orders"])
}

func TestNoFastProducerStallMovesQueueGroupOn(t *testing.T) {
	// A queue group with one member on the backlogged connection and one
	// on a free one: with the stall switched off, a message picked for the
	// stalled member goes to the other.
	res := runYAML(t, `
seed: 3
network: {latency: 250us, bandwidth: 10MB/s}
server: {max_pending: 1MiB, no_fast_producer_stall: true}
clients: [{name: feed1}, {name: feed2}, {name: shop}, {name: app}, {name: spare}]
subscriptions:
  - {id: bulk, client: app, subject: feed}
  - {id: w1, client: app, subject: orders, queue: workers}
  - {id: w2, client: spare, subject: orders, queue: workers}
actions:
  - {at: 0s, publish: {client: feed1, subject: feed, count: 700, size: 1KiB}}
  - {at: 0s, publish: {client: feed2, subject: feed, count: 700, size: 1KiB}}
  - {at: 0s, publish: {client: shop, subject: orders, count: 100, interval: 1ms, size: 100}}
`)
	handledBy := map[int]string{}
	moved := 0
	for _, d := range res.Ledger.Deliveries {
		sub := res.Subs[d.Sub].ID
		if sub == "bulk" {
			continue
		}
		if d.Fate == model.DlvHandled {
			require.NotContains(t, handledBy, int(d.Msg))
			handledBy[int(d.Msg)] = sub
		}
		if d.Reason == model.DropServerStalled {
			require.Equal(t, "w1", sub, "only the member on the backlogged connection is stalled")
			moved++
		}
	}
	require.Positive(t, moved)
	require.Len(t, handledBy, 100, "every order is handled by a member")
}

func TestStallHoleIsDeterministic(t *testing.T) {
	sc, err := scenario.Parse("hole.yaml", []byte("name: hole\n"+stallHole+"server: {max_pending: 1MiB}\n"))
	require.NoError(t, err)
	var hashes []uint64
	for range 2 {
		res, err := model.Run(sc, model.Config{Trace: true})
		require.NoError(t, err)
		hashes = append(hashes, res.Trace.Hash())
	}
	require.Equal(t, hashes[0], hashes[1])
}

// TestUnsubscribeInAnyOrder: the server finds a SUB's or UNSUB's sid in an
// index and keeps a connection's unsubscribed subscriptions in its list
// until they are half of it at a SUB (serverConn.squeeze). Six
// subscriptions on subjects of their own, four unsubscribed out of order,
// one subscribed again after them (its SUB compacts the list, then
// appends), then a message to every subject: only the three
// subscribed get theirs. Catches a compaction that drops an open
// subscription (s3 or s5 would get nothing) and a sid index left pointing
// at a removed one (late's SUB, on s1's subject, would be taken for a
// duplicate, or an UNSUB would remove the wrong one).
func TestUnsubscribeInAnyOrder(t *testing.T) {
	res := runYAML(t, `
seed: 1
clients: [{name: pub}, {name: app}]
subscriptions:
  - {id: s1, client: app, subject: a1}
  - {id: s2, client: app, subject: a2}
  - {id: s3, client: app, subject: a3}
  - {id: s4, client: app, subject: a4}
  - {id: s5, client: app, subject: a5}
  - {id: s6, client: app, subject: a6}
  - {id: late, client: app, subject: a1, deferred: true}
actions:
  - {at: 1ms, unsubscribe: {sub: s4}}
  - {at: 2ms, unsubscribe: {sub: s1}}
  - {at: 3ms, unsubscribe: {sub: s6}}
  - {at: 4ms, unsubscribe: {sub: s2}}
  - {at: 5ms, subscribe: {sub: late}}
  - {at: 10ms, publish: {client: pub, subject: a1}}
  - {at: 10ms, publish: {client: pub, subject: a2}}
  - {at: 10ms, publish: {client: pub, subject: a3}}
  - {at: 10ms, publish: {client: pub, subject: a4}}
  - {at: 10ms, publish: {client: pub, subject: a5}}
  - {at: 10ms, publish: {client: pub, subject: a6}}
`)
	for _, id := range []string{"s1", "s2", "s3", "s4", "s5", "s6", "late"} {
		want := 0
		if id == "s3" || id == "s5" || id == "late" {
			want = 1
		}
		require.Len(t, deliveriesTo(res, id), want, id)
	}
}
