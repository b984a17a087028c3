package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// way is a Chooser that takes option k of every choice (capped at n-1):
// way(0) settles every race of Config.Races the default way, way(1) the
// other way.
type way int

func (k way) IntN(_ string, n int) int  { return min(int(k), n-1) }
func (way) Float64(string) float64      { return 0.5 }
func (k way) Stream(string) sim.Chooser { return k }

// runRaces runs a scenario of testdata/swarm with Config.Races set to
// races (nil: not set).
func runRaces(t *testing.T, file string, races sim.Chooser) *model.Result {
	t.Helper()
	sc, err := scenario.Load("../testdata/swarm/" + file)
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Races: races})
	require.NoError(t, err)
	return res
}

// msgs returns the messages the calls of source returned, in order.
func msgs(res *model.Result, source string) []int {
	var out []int
	for _, c := range res.Calls() {
		if res.Str(c.Source) == source {
			out = append(out, c.Msg)
		}
	}
	return out
}

// TestRaceFinalFlushFirst (swarm-4502): with DrainTimeout 0 the final
// flush's PING goes before the subscription drain's barrier by default, so
// the close reaches the waiting NextMsg first (ErrConnectionClosed); the
// other way the barrier goes first, the drained subscription is removed
// and the NextMsg gets ErrBadSubscription, as every virtual-time run of
// nats.go does. It catches a race that ignores Config.Races (the other way
// still ErrConnectionClosed) and one that changes the default (way 0 or
// no Races differing).
func TestRaceFinalFlushFirst(t *testing.T) {
	const file = "swarm-4502.yaml"
	require.Equal(t, []string{"next_msg=ErrConnectionClosed"}, results(runRaces(t, file, nil), "actions[0]"))
	require.Equal(t, []string{"next_msg=ErrConnectionClosed"}, results(runRaces(t, file, way(0)), "actions[0]"))
	require.Equal(t, []string{"next_msg=ErrBadSubscription"}, results(runRaces(t, file, way(1)), "actions[0]"))
}

// TestRaceWokenNextMsg (swarm-11188): five messages read at once, two
// NextMsg callers waiting (B since 0, A since its first call timed out at
// 10 ms). B is handed message 1, A message 2; messages 3-5 are queued.
// By default the woken goroutines run in the order they were woken, so B's
// next call takes 3; the other way, the last woken (A) runs first and
// takes 3, as in every virtual-time run of nats.go (the Go scheduler runs
// the goroutine readied last first). It catches a race that ignores
// Config.Races and one that changes the default.
func TestRaceWokenNextMsg(t *testing.T) {
	const file = "swarm-11188.yaml"
	for _, races := range []sim.Chooser{nil, way(0)} {
		res := runRaces(t, file, races)
		require.Equal(t, []int{0, 2, 5}, msgs(res, "actions[0]"), "A: timed out, then 2 and 5")
		require.Equal(t, []int{1, 3, 4}, msgs(res, "actions[1]"))
	}
	res := runRaces(t, file, way(1))
	require.Equal(t, []int{0, 2, 3}, msgs(res, "actions[0]"))
	require.Equal(t, []int{1, 4, 5}, msgs(res, "actions[1]"))
}

// TestRaceFanoutOrder (swarm-689, with a bandwidth): each message of t1
// goes to c0's two subscriptions s0 and s3; by default s0's copy crosses
// the 20KB/s link first, the other way s3's does (nats-server's map
// order), so s3's first callback starts one copy's crossing (3.95 ms)
// earlier. It catches a race that ignores Config.Races and one that
// changes the default.
func TestRaceFanoutOrder(t *testing.T) {
	const file = "swarm-689.yaml"
	start := func(res *model.Result, sub string) sim.Time { return res.Sub(sub).HandledAt(0).Start }
	for _, races := range []sim.Chooser{nil, way(0)} {
		res := runRaces(t, file, races)
		require.Less(t, start(res, "s0"), start(res, "s3"))
	}
	res := runRaces(t, file, way(1))
	require.Less(t, start(res, "s3"), start(res, "s0"))
	require.Equal(t, start(runRaces(t, file, nil), "s0"), start(res, "s3"), "s3's copy crosses first, when s0's did")
}
