package model

// Races a run settles one fixed way by default, and draws through
// Config.Races when that is set. Each is a race between goroutines of the
// real client that the Go scheduler decides, and that the conformance
// harness has seen go either way (conformance: testdata/swarm/README.md):
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
const (
	RaceFinalFlushFirst = "race/final-flush-first"
	RaceWokenNextMsg    = "race/woken-nextmsg-order"
)

// otherWay reports whether the race named label goes the other way this
// time: never without Config.Races, else as Races draws (IntN(label, 2)
// == 1).
func (w *World) otherWay(label string) bool {
	return w.races != nil && w.races.IntN(label, 2) == 1
}
