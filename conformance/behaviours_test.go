package conformance

import "testing"

// behaviourCorpus are the corpus scenarios of the nats.go behaviours of
// issue 16 item 3 (docs/nats-go-behaviours.md).
var behaviourCorpus = []string{
	"chan-sub-drain.yaml",
	"chan-sub-full.yaml",
	"sub-status-events.yaml",
	"double-drain-sync-chan.yaml",
	"reconnect-buffer-overflow-drain.yaml",
	"sub-drain-barrier-timeout.yaml",
	"callback-outlives-close-publishes.yaml",
	"sub-counters.yaml",
	"stale-connection-drain.yaml",
	"drain-during-first-connect.yaml",
	"pending-bytes-headers.yaml",
}

// TestNatsGoBehaviours plays the scenarios of the nats.go behaviours the
// model gained with issue 16 item 3 on the real nats.go and nats-server in
// virtual time (and with DRAINSIM_CONFORMANCE set, in real time too) and
// checks that each agrees with the model.
func TestNatsGoBehaviours(t *testing.T) {
	for _, k := range realRunners() {
		for _, f := range behaviourCorpus {
			t.Run(f, func(t *testing.T) { checkCorpusFile(t, f, k) })
		}
	}
}
