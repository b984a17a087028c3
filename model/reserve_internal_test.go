package model

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model/scenario"
)

// TestReservedRecordsReadAsWritten runs scenarios with every publish
// burst's messages and every quiet routing's deliveries reserved
// (reservedRun 1: reserve.go) and with none reserved, and wants the same
// records, calls, outcome, handled lists and trace. Reserved records are
// written when first read, and the scenarios read them early every way a
// run can: drops in the server's FIFO, on the wire and in the client's
// queue (disconnects, closes, slow consumers, unsubscribes, a server
// restart), the run's end (a record budget of every size up to 60, and
// runs that end with messages queued), NextMsg, requests and their
// replies, traces and triggers. The reserving runs are on one Runner whose
// earlier runs left other records where the reserved ones go. Breaks it
// catches (each tried): World.finish not writing the reserved records
// before its passes, writeRuns writing ahead past its run's end,
// Ledger.delivery or Ledger.Message not writing a reserved record, a run
// of deliveries not started again after a message that does not follow
// the last (routeQuiet's next), dlvRun.writeThrough not moving to the
// next message after the last subscription, and routeQuiet's loop for
// unreserved deliveries taking reserved messages (messages alone
// reserved, reservedDeliveryRun apart); and a subscription given
// reserved deliveries that keeps the plain turn (Sub.reservedTo, not set
// by Server.runSubs or not in setPlainTurn's formula) or a start off the
// plain turn (handOut, startConcurrent) that does not write its reserved
// record (Sub.starts); and top's turn for a subscription plain but for its
// reserved deliveries not writing the record (Sub.writeReserved not
// called), or testing the wrong bound (> for >= Ledger.dlvUnwritten).
func TestReservedRecordsReadAsWritten(t *testing.T) {
	files, err := filepath.Glob("../testdata/conformance/*.yaml")
	require.NoError(t, err)
	more, err := filepath.Glob("../testdata/swarm/*.yaml")
	require.NoError(t, err)
	files = append(files, more...)
	var scs []*scenario.Scenario
	for _, f := range files {
		sc, err := scenario.Load(f)
		require.NoError(t, err, f)
		scs = append(scs, sc)
	}
	const burst = `
name: reserved
seed: 3
clients: [{name: pub}, {name: app}, {name: other}]
subscriptions:
  - {id: s, client: app, subject: work, handler: {duration: 1ms}}
  - {id: t, client: other, subject: work, handler: {duration: 2ms}}
  - {id: r, client: app, subject: work, type: sync}
actions:
  - {at: 1ms, publish: {client: pub, subject: work, count: 30}}
  - {at: 1ms, publish: {client: other, subject: work, size: 3, count: 5}}
  - {at: 1ms, publish: {client: pub, subject: work, reply: back, count: 4}}
  - {at: 2ms, next_msg: {sub: r, timeout: 1ms, count: 3}}
  - {at: 10ms, drain: {client: app}}
`
	for _, src := range []string{`
name: lost on the wire
clients: [{name: pub}, {name: app}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 1ms}}]
network: {latency: 5ms}
actions:
  - {at: 1ms, publish: {client: pub, subject: work, count: 10}}
  - {at: 1ms, publish: {client: pub, subject: work, reply: back, count: 4}}
  - {at: 3ms, disconnect: {client: pub, for: 10ms}}
  - {at: 20ms, publish: {client: pub, subject: work, count: 10}}
  - {at: 28ms, disconnect: {client: app, for: 10ms}}
`, `
name: in a restarting server
clients: [{name: pub}, {name: app}]
subscriptions: [{id: s, client: app, subject: work, handler: {duration: 1ms}}]
network: {latency: 5ms}
actions:
  - {at: 1ms, publish: {client: pub, subject: work, size: 9, count: 10}}
  - {at: 5ms, restart_server: {for: 20ms}}
  - {at: 6ms, publish: {client: pub, subject: work, count: 3}}
`} {
		sc, err := scenario.Parse("reserved.yaml", []byte(src))
		require.NoError(t, err)
		scs = append(scs, sc)
	}
	for budget := range 61 {
		src := burst
		if budget > 0 {
			src += fmt.Sprintf("limits: {max_records: %d}\n", budget)
		}
		sc, err := scenario.Parse("reserved.yaml", []byte(src))
		require.NoError(t, err)
		scs = append(scs, sc)
	}
	defer func(m, d int) { reservedRun, reservedDeliveryRun = m, d }(reservedRun, reservedDeliveryRun)
	var writing, reserving Runner
	for _, name := range ProfileNames() {
		p, err := LookupProfile(name)
		require.NoError(t, err)
		for _, sc := range scs {
			for _, traced := range []bool{false, true} {
				cfg := Config{Profile: p, Trace: traced}
				reservedRun, reservedDeliveryRun = math.MaxInt, math.MaxInt
				want, ok := reservedResult(t, sc, cfg, writing.Run)
				if !ok {
					continue // a profile refuses a scenario it cannot run
				}
				for _, dlvRun := range []int{1, math.MaxInt} {
					reservedRun, reservedDeliveryRun = 1, dlvRun
					got, _ := reservedResult(t, sc, cfg, reserving.Run)
					if got != want {
						i := 0
						for i < min(len(got), len(want)) && got[i] == want[i] {
							i++
						}
						t.Fatalf("%s under %s (traced %v, max_records %d, deliveries reserved from %d): reserved records read otherwise than written, from %q: got %q, want %q",
							sc.Name, name, traced, sc.Limits.MaxRecords, dlvRun, got[max(0, i-300):i], got[i:min(len(got), i+200)], want[i:min(len(want), i+200)])
					}
				}
			}
		}
	}
}

// reservedResult is what TestReservedRecordsReadAsWritten compares of a
// run of sc with cfg by run, and false if the run was refused.
func reservedResult(t *testing.T, sc *scenario.Scenario, cfg Config, run func(*scenario.Scenario, Config) (*Result, error)) (string, bool) {
	res, err := run(sc, cfg)
	if err != nil {
		return err.Error(), false
	}
	var handled [][]Handled
	for i := range res.Subs {
		handled = append(handled, res.Subs[i].handMade())
	}
	var trace []string
	if res.Trace != nil {
		for _, e := range res.Trace.Events() {
			trace = append(trace, fmt.Sprint(e, res.Trace.Fields(e)))
		}
	}
	b, err := json.Marshal(struct {
		Outcome    *Outcome
		Stop       any
		Messages   []Message
		Deliveries []Delivery
		Calls      []CallRecord
		NumCalls   int
		Handled    [][]Handled
		Trace      []string
	}{res.Outcome(), res.Stop, res.Ledger.Messages, res.Ledger.Deliveries, res.Calls(), res.NumCalls(), handled, trace})
	require.NoError(t, err, sc.Name)
	return string(b), true
}
