package export_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/export"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// twoClients has a queue group across two clients, a drain that loses
// messages to its timeout, and a publish refused while DRAINING_PUBS.
const twoClients = `
name: export
network: {latency: 1ms}
clients:
  - {name: a, drain_timeout: 50ms}
  - {name: b}
subscriptions:
  - {id: wa, client: a, subject: work, queue: q, handler: {duration: 30ms}}
  - {id: wb, client: b, subject: work, queue: q, handler: {duration: 5ms}}
actions:
  - {at: 0s, publish: {client: b, subject: work, count: 10}}
  - {at: 2ms, drain: {client: a}}
  - {at: 53ms, publish: {client: a, subject: work}}
`

func run(t *testing.T, src string, muts model.MutationSet) *sim.Trace {
	t.Helper()
	sc, err := scenario.Parse("export.yaml", []byte(src))
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{Trace: true, Mutations: muts})
	require.NoError(t, err)
	return res.Trace
}

func render(t *testing.T, write func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b))
	return b.String()
}

func TestMermaid(t *testing.T) {
	tr := run(t, twoClients, 0)
	out := render(t, func(b *bytes.Buffer) error { return export.Mermaid(b, tr) })
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, "sequenceDiagram", lines[0])
	require.Equal(t, []string{"    participant p0 as a", "    participant p1 as server", "    participant p2 as b"}, lines[1:4])
	require.Contains(t, out, "p2->>p1: 0.000ms PUB work msg 1 (actions[0])")
	require.Contains(t, out, "p0->>p1: 3.000ms UNSUB wa processed")
	require.Contains(t, out, "Note over p0: 2.000ms DRAINING_SUBS")
	require.Contains(t, out, "publish by actions[2] refused: ErrConnectionDraining")
	active := 0
	for _, l := range lines {
		switch strings.TrimSpace(l) {
		case "activate p0", "activate p2":
			active++
		case "deactivate p0", "deactivate p2":
			active--
			require.GreaterOrEqual(t, active, 0, "deactivate without activate")
		}
		require.NotContains(t, l, ";", "a ';' ends a Mermaid statement")
	}
	require.Equal(t, out, render(t, func(b *bytes.Buffer) error { return export.Mermaid(b, tr) }), "output must be deterministic")
}

func TestMermaidShowsDroppedMessages(t *testing.T) {
	// Without the barrier the subscription is removed before its messages
	// arrive; they are dropped as unknown_sid and drawn as crossed arrows.
	src := `
name: dropped
clients: [{name: app}]
subscriptions: [{id: s, client: app, subject: x}]
actions:
  - {at: 0s, publish: {client: app, subject: x}}
  - {at: 0s, drain_sub: {sub: s}}
`
	tr := run(t, src, model.MutationSet(0).With(model.NoFlushBarrier))
	out := render(t, func(b *bytes.Buffer) error { return export.Mermaid(b, tr) })
	require.Contains(t, out, "p1-xp0: 0.500ms MSG msg 1 to sid 1 dropped: unknown_sid")
}
