package model

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// TestRouteQuietTakesOnlyQuietPUBs: the server's run of quiet PUBs
// (Server.routeQuiet) routes a PUB only where processPub would do nothing
// but write its MSG frames and delivery records and settle it, and leaves
// every other frame, and every PUB it has no room for, to process. Each
// case below breaks one condition on a world where two PUBs to one plain
// subscription would both be quiet: dropping the condition's test from
// routeQuiet makes its case fail (each was tried).
func TestRouteQuietTakesOnlyQuietPUBs(t *testing.T) {
	sc, err := scenario.Parse("quiet.yaml", []byte(`
name: quiet
seed: 1
clients: [{name: app}, {name: pub}]
subscriptions: [{id: s, client: app, subject: work}, {id: t, client: app, subject: more}]
`))
	require.NoError(t, err)
	type world struct {
		w      *World
		srv    *Server
		from   *serverConn // the publisher's connection
		to     *serverSub  // the subscription
		frames []frame     // two PUBs on work
	}
	// setUp makes the world at 50 ms, the subscription known to the
	// server, its connection's write scheduled and room in every buffer.
	setUp := func(maxRecords uint64) world {
		sc := *sc
		sc.Limits.MaxRecords = maxRecords
		w, err := newWorld(&sc, Config{}, new(Runner))
		require.NoError(t, err)
		w.sim.RunUntil(sim.Time(50e6))
		srv := w.server
		work := w.ledger.Intern("work")
		matches := srv.subs.matchID(work)
		require.Len(t, matches, 1)
		to := matches[0]
		require.True(t, to.plain && !to.closed && to.conn.open, "a plain subscription")
		to.conn.kicked = true
		to.conn.out = slices.Grow(to.conn.out, 8)
		w.ledger.Deliveries = slices.Grow(w.ledger.Deliveries, 8)
		pub := w.conns[w.clientIndex("pub")]
		var frames []frame
		for range 2 {
			m := w.ledger.newMessage(pub.nameID, work, w.sim.Now())
			frames = append(frames, frame{op: opPub, frameRefs: frameRefs{msg: int32(m.ID)}})
		}
		return world{w: w, srv: srv, from: srv.conns[pub.idx], to: to, frames: frames}
	}
	// records is the number of records a world has made when set up (the
	// outcome of running it on to where it stands).
	records := setUp(0).w.sim.RunUntil(sim.Time(50e6)).Records
	cases := []struct {
		name       string
		maxRecords uint64 // 0: none
		taken      int
		f          func(ws world)
	}{
		{"quiet", 0, 2, func(world) {}},
		{"second frame not a PUB", 0, 1, func(ws world) { ws.frames[1].op = opPing }},
		{"second PUB on another subject, quiet too", 0, 2, func(ws world) {
			ws.w.ledger.Message(int(ws.frames[1].msg)).Subject = ws.w.ledger.Intern("more")
		}},
		{"second PUB on a subject nobody takes", 0, 1, func(ws world) {
			ws.w.ledger.Message(int(ws.frames[1].msg)).Subject = ws.w.ledger.Intern("other")
		}},
		{"no subscription matches", 0, 0, func(ws world) {
			ws.w.ledger.Message(int(ws.frames[0].msg)).Subject = ws.w.ledger.Intern("nobody")
		}},
		{"publisher's connection closed", 0, 0, func(ws world) { ws.from.open = false }},
		{"run stopping", 0, 0, func(ws world) {
			ws.w.sim.Halt()
			// Nor does it look the subject up: under Config.Races a
			// lookup the match cache misses draws.
			ws.srv.subs.byID[ws.w.ledger.Intern("work")&(matchSlots-1)] = cachedMatch{}
		}},
		{"the record budget ends the run after the first", records, 1, func(world) {}},
		{"subscription not plain", 0, 0, func(ws world) { ws.to.plain = false }},
		{"subscription closed", 0, 0, func(ws world) { ws.to.closed = true }},
		{"subscriber's connection closed", 0, 0, func(ws world) { ws.to.conn.open = false }},
		{"subscriber's write not scheduled", 0, 0, func(ws world) { ws.to.conn.kicked = false }},
		{"FIFO room for one", 0, 1, func(ws world) {
			c := ws.to.conn
			c.out = c.out[:cap(c.out)-1]
		}},
		{"FIFO room for one, then a frame not a PUB", 0, 1, func(ws world) {
			c := ws.to.conn
			c.out = c.out[:cap(c.out)-1]
			ws.frames[1] = frame{op: opPing}
		}},
		{"record room for one", 0, 1, func(ws world) {
			l := ws.w.ledger
			l.Deliveries = l.Deliveries[:cap(l.Deliveries)-1]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := setUp(tc.maxRecords)
			tc.f(ws)
			deliveries := len(ws.w.ledger.Deliveries)
			require.Equal(t, tc.taken, ws.srv.routeQuiet(ws.from, ws.frames))
			require.Equal(t, deliveries+tc.taken, len(ws.w.ledger.Deliveries), "delivered")
			for i, f := range ws.frames {
				if f.op != opPub {
					continue
				}
				routed := ws.w.ledger.Message(int(f.msg)).Fate == MsgRouted
				require.Equal(t, i < tc.taken, routed, "PUB %d routed", i)
			}
			if ws.w.sim.Stopping() && tc.maxRecords == 0 {
				e := ws.srv.subs.byID[ws.w.ledger.Intern("work")&(matchSlots-1)]
				require.Equal(t, cachedMatch{}, e, "a stopped run looks nothing up")
			}
		})
	}
}
