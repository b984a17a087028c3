package model

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestQueueQuietTakesOnlyQuietMSGs: the read loop's run of quiet MSGs
// (Conn.queueQuiet) takes a MSG only where processMsg would do nothing but
// count and queue it, and leaves every other frame to processMsg and the
// read loop's other cases. Each case below breaks one condition on a
// world whose subscription is mid-callback (its executor busy, its queue
// roomy), so that the MSG is quiet but for that condition: dropping the
// condition's test from queueQuiet makes its case fail (each was tried).
func TestQueueQuietTakesOnlyQuietMSGs(t *testing.T) {
	sc, err := scenario.Parse("quiet.yaml", []byte(`
name: quiet
seed: 1
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 100ms}}]
actions:
  - {at: 0s, publish: {client: app, subject: work}}
`))
	require.NoError(t, err)
	cases := []struct {
		name  string
		taken int
		f     func(c *Conn, s *Sub, fr *frame)
	}{
		{"quiet", 1, func(*Conn, *Sub, *frame) {}},
		{"not a MSG", 0, func(_ *Conn, _ *Sub, fr *frame) { fr.op = opPong }},
		{"unknown sid", 0, func(_ *Conn, _ *Sub, fr *frame) { fr.sid = 99 }},
		{"negative sid", 0, func(_ *Conn, _ *Sub, fr *frame) { fr.sid = -1 }},
		{"read loop dead", 0, func(c *Conn, _ *Sub, _ *frame) { c.readLoopDead = true }},
		{"connection closed", 0, func(c *Conn, _ *Sub, _ *frame) { c.status = Closed }},
		{"subscription closed", 0, func(_ *Conn, s *Sub, _ *frame) { s.closed = true }},
		{"not ordinary", 0, func(_ *Conn, s *Sub, _ *frame) { s.ordinary = false }},
		{"slow-consumer episode", 0, func(_ *Conn, s *Sub, _ *frame) { s.sc = true }},
		{"executor idle", 0, func(_ *Conn, s *Sub, _ *frame) { s.waiting = true }},
		{"over the message limit", 0, func(_ *Conn, s *Sub, _ *frame) { s.msgsLim = s.pMsgs }},
		{"over the byte limit", 0, func(_ *Conn, s *Sub, fr *frame) { s.byteLim = s.pBytes + int(fr.arg) - 1 }},
		{"queue full", 0, func(_ *Conn, s *Sub, _ *frame) {
			s.pending = s.pending[:cap(s.pending)]
			s.head = 0
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := newWorld(sc, Config{}, new(Runner))
			require.NoError(t, err)
			w.sim.RunUntil(sim.Time(50e6)) // the callback runs until 100 ms
			c := w.conns[0]
			s := c.lookup(1)
			require.NotNil(t, s)
			require.True(t, s.ordinary && !s.waiting && !s.scheduled && s.running == 1, "mid-callback")
			fr := frame{op: opMsg, sid: s.sid, arg: 10, frameRefs: frameRefs{msg: 1}}
			tc.f(c, s, &fr)
			pMsgs, queued := s.pMsgs, s.queueLen()
			require.Equal(t, tc.taken, c.queueQuiet([]frame{fr}))
			require.Equal(t, pMsgs+tc.taken, s.pMsgs, "counted")
			require.Equal(t, queued+tc.taken, s.queueLen(), "queued")
		})
	}
}

// TestPushRoomyQueuesOnlyWithoutGrowth: pushRoomy queues a message when
// the queue's array has room, or has room once an emptied queue starts
// again at its front, and otherwise queues nothing and reports it. Without
// its rewind the "emptied full array" case fails (its message is refused);
// without its test of the capacity the cases with no room panic (both
// tried).
func TestPushRoomyQueuesOnlyWithoutGrowth(t *testing.T) {
	q := func(d int32) queued { return queued{d: d, msg: d, at: sim.Time(d), size: int(d)} }
	cases := []struct {
		name       string
		pending    []queued
		head       int
		ok         bool
		wantQueued []queued // the queue after the push, from its head
	}{
		{"no array", nil, 0, false, nil},
		{"room", append(make([]queued, 0, 4), q(1), q(2)), 1, true, []queued{q(2), q(9)}},
		{"full", []queued{q(1), q(2)}, 0, false, []queued{q(1), q(2)}},
		{"full, partly taken", []queued{q(1), q(2)}, 1, false, []queued{q(2)}},
		{"emptied full array", []queued{q(1), q(2)}, 2, true, []queued{q(9)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Sub{pending: tc.pending, head: tc.head}
			require.Equal(t, tc.ok, s.pushRoomy(q(9)))
			require.Equal(t, tc.wantQueued, s.pending[s.head:])
			if cap(tc.pending) > 0 {
				require.Same(t, &tc.pending[:1][0], &s.pending[:1][0], "the queue kept its array")
			}
		})
	}
}
