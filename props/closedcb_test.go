package props

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// zeroChooser draws 0 for every choice: the smallest option and a zero
// fraction, so every reconnect attempt of a reconnect_wait of 0 runs at
// once.
type zeroChooser struct{}

func (zeroChooser) IntN(string, int) int        { return 0 }
func (zeroChooser) Float64(string) float64      { return 0 }
func (c zeroChooser) Stream(string) sim.Chooser { return c }

// TestClosedCallbackWhileNatsjsReconnects: under natsjs a drain whose link
// breaks at once keeps the status DRAINING_PUBS while its final flush
// waits for a reconnect; with every attempt at once the attempts run out
// and the reconnect loop closes the connection, whose closed callback
// then runs although the client set NoCallbacksAfterClientClose (the
// option is about a close by the application). The records show the loop
// only by the ErrNoServers the close leaves as its last error, so
// closed-callback must not demand that no callback run (found by
// TestPropProfiles/natsjs/machine/closed-callback; it failed when
// closedCallbacks counted only RECONNECTING statuses).
func TestClosedCallbackWhileNatsjsReconnects(t *testing.T) {
	sc, err := scenario.Parse("natsjs-reconnect-close.yaml", []byte(`name: natsjs-reconnect-close
profile: natsjs
network: {latency: 0s}
clients:
  - {name: c0, reconnect_wait: 0s, no_callbacks_after_close: true}
subscriptions:
  - {id: s0, client: c0, subject: t0}
actions:
  - {at: 0s, drain: {client: c0}}
  - {at: 0s, disconnect: {client: c0, for: 50ms}}
`))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Chooser: zeroChooser{}})
	require.NoError(t, err)
	c := res.Conns[0]
	require.Equal(t, 1, countCallbacks(res, c, "closed", ""), "the reconnect loop closed it")
	require.Equal(t, model.ErrNoServers, res.Str(c.LastError))
	require.Empty(t, checkClosedCallback(res))
}
