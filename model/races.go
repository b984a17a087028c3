package model

import "slices"

// Races a run settles one fixed way by default, and draws through
// Config.Races when that is set. Each is an order the real client or
// server leaves to chance (the Go scheduler, Go's map order), which the
// conformance harness has seen go either way against nats.go v1.55.0 and
// nats-server v2.15.2 (testdata/swarm/README.md); they apply to every
// profile whose code has the same shape, but were checked on nats.go only:
//
//   - RaceFinalFlushFirst: with a drain whose wait for subscriptions ends
//     at once (DrainTimeout 0), the drain goroutine's final flush and the
//     subscription drains' barriers, each started in a goroutine of its
//     own at the same instant, race to write their PINGs. By default the
//     final flush's PING goes first; the other way, the barriers' go
//     first, so a drained subscription is removed before the close (a
//     waiting NextMsg gets ErrBadSubscription rather than
//     ErrConnectionClosed; swarm seed 4502).
//   - RaceWokenNextMsg: NextMsg calls the read loop hands messages to in
//     one read run, after it, in the order they were woken by default; the
//     other way, the last woken runs first and the rest after it in order,
//     as the Go scheduler runs the goroutine readied last first (its
//     runnext slot), which decides which caller's next NextMsg takes which
//     of the messages queued meanwhile (swarm seed 11188).
//   - RaceFanoutOrder: nats-server delivers a message to one connection's
//     several matching subscriptions in Go map order (a sublist node keeps
//     its plain subscriptions in a map), fixed until the sublist changes
//     (its results are cached). By default the model delivers in
//     subscription order; the other way, each connection's matching plain
//     subscriptions in the reverse order. Seen with a bandwidth, where the
//     order decides which copy crosses the link first (swarm seed 689 with
//     DRAINSIM_SWARM_BANDWIDTH=1, and a first bandwidth-drain-timeout with
//     three subscriptions to one subject).
const (
	RaceFinalFlushFirst = "race/final-flush-first"
	RaceWokenNextMsg    = "race/woken-nextmsg-order"
	RaceFanoutOrder     = "race/fanout-order"
)

// otherWay reports whether the race named label goes the other way this
// time: never without Config.Races, else as Races draws (IntN(label, 2)
// == 1).
func (w *World) otherWay(label string) bool {
	return w.races != nil && w.races.IntN(label, 2) == 1
}

// drawFanoutOrder reverses, when RaceFanoutOrder goes the other way, the
// order of the plain subscriptions of each connection in list (the
// subscriptions a subject matches), keeping the positions of the others.
func (w *World) drawFanoutOrder(list []*serverSub) {
	var seen []*serverConn
	var idx []int
	for i, ss := range list {
		if ss.queue != "" || ss.route != nil || slices.Contains(seen, ss.conn) {
			continue
		}
		seen = append(seen, ss.conn)
		idx = idx[:0]
		for j := i; j < len(list); j++ {
			if list[j].queue == "" && list[j].route == nil && list[j].conn == ss.conn {
				idx = append(idx, j)
			}
		}
		if len(idx) < 2 || !w.otherWay(RaceFanoutOrder) {
			continue
		}
		for a, b := 0, len(idx)-1; a < b; a, b = a+1, b-1 {
			list[idx[a]], list[idx[b]] = list[idx[b]], list[idx[a]]
		}
	}
}
