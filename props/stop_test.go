package props

import "testing"

// TestStopEndsSwarmAndMatrix: a closed SwarmConfig.Stop ends the swarm
// and the matrix before their next scenario, marked Interrupted; a matrix
// stopped before any scenario holds no profile. Without the checks of
// Stop both would run all their scenarios and not be marked. (Stopping
// part way is tested through the command: cmd/drainsim TestInterrupt*.)
func TestStopEndsSwarmAndMatrix(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	rep, err := Swarm(SwarmConfig{Profiles: []string{"go"}, Runs: 1000, Seed: 1, Stop: stop})
	if err != nil || !rep.Interrupted || rep.Runs != 0 {
		t.Fatalf("swarm: %v, interrupted %v after %d runs; want interrupted after 0", err, rep.Interrupted, rep.Runs)
	}
	m, err := RunMatrix(SwarmConfig{Profiles: []string{"go", "c"}, Runs: 1000, Seed: 1, Stop: stop})
	if err != nil || !m.Interrupted || len(m.Profiles) != 0 || len(m.Cells[0]) != 0 {
		t.Fatalf("matrix: %v, interrupted %v, profiles %v; want interrupted with none", err, m.Interrupted, m.Profiles)
	}
}
