package conformance

import (
	"fmt"
	"slices"
	"time"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/sim"
)

// This file is the model side of the cluster conformance
// (docs/conformance/cluster.md): a scenario with servers is played on a
// real nats-server cluster in real time (cluster_test.go), where which
// messages a drain loses is a race between link delays and scheduling. So
// the two sides are not compared run by run, as the one-server corpus is,
// but as rates: each side plays the scenario many times and Tally counts
// what every run did to its messages; JudgeCluster says whether the two
// sets of tallies agree.

// PrepareCluster returns a copy of sc (which must have servers:) with
// every time and duration multiplied by scale, the latencies of its
// routes, leaf connections and gateways included. scale is at least 1: a
// real cluster on a loaded machine realises a 1 ms route delay with a
// scheduling noise of the same size, so the corpus is run slowed down
// until the delays dwarf that noise. Every link latency must be constant
// (the real relay delays by one value); what else a real run cannot
// reproduce is refused as by Prepare.
func PrepareCluster(sc *scenario.Scenario, scale float64) (*scenario.Scenario, error) {
	if !(scale >= 1 && scale <= 1000) {
		return nil, fmt.Errorf("%s: scale %v: want a factor in [1, 1000]", sc.Name, scale)
	}
	if sc.Topology == nil {
		return nil, fmt.Errorf("%s: no servers: the cluster conformance plays topologies only (one server: Prepare and the one-server corpus)", sc.Name)
	}
	cp, err := prepare(sc, scale)
	if err != nil {
		return nil, err
	}
	s := scaler(scale)
	for _, links := range topologyLinks(cp.Topology) {
		for i := range links.links {
			l := &links.links[i]
			if l.Latency.Kind != sim.Constant {
				return nil, fmt.Errorf("%s: %s between %s and %s: latency %v: the real relay delays by one value, want a constant", sc.Name, links.kind, l.A, l.B, l.Latency)
			}
			s.dist(&l.Latency)
		}
	}
	return cp, nil
}

// kindLinks is one kind of a topology's links.
type kindLinks struct {
	kind  string // "route", "leaf connection", "gateway"
	links []scenario.Link
}

// topologyLinks returns t's links by kind; the slices share t's arrays.
func topologyLinks(t *scenario.Topology) []kindLinks {
	return []kindLinks{{"route", t.Routes}, {"leaf connection", t.Leafnodes}, {"gateway", t.Gateways}}
}

// Jittered returns a copy of sc in which every constant latency d — the
// client links' and every server link's — is drawn uniformly from
// [d, d+j]: the model's stand-in for the real run's noise (relay wake-ups,
// scheduling on a loaded machine), which only ever delays. Latencies that
// are already distributions are kept. A link stays FIFO, as in the model
// always.
func Jittered(sc *scenario.Scenario, j time.Duration) (*scenario.Scenario, error) {
	cp, err := scenario.Parse(sc.File, sc.Marshal())
	if err != nil {
		return nil, fmt.Errorf("%s: copying the scenario: %w", sc.Name, err)
	}
	cp.File = sc.File
	jitter := func(d *sim.Dist) {
		if d.Kind == sim.Constant && j > 0 {
			*d = sim.Dist{Kind: sim.Uniform, A: d.A, B: d.A + j}
		}
	}
	jitter(&cp.Network.Latency)
	if cp.Topology != nil {
		for _, links := range topologyLinks(cp.Topology) {
			for i := range links.links {
				jitter(&links.links[i].Latency)
			}
		}
	}
	return cp, nil
}

// PubKey names one published message on both sides: its publishing
// client and its rank among that client's publishes (from 0).
type PubKey struct {
	From string
	Seq  int
}

// Tally is what one run did to the messages its clients published.
type Tally struct {
	Published int
	// Lost counts published messages that no subscription handled.
	Lost int
	// Late counts order inversions: a message handled by a subscription
	// after it had handled a later message of the same publisher. A queue
	// message re-routed over a route (the rsub fallback) arrives one round
	// trip late, behind later ones: that is how a re-route shows outside
	// the server.
	Late int
	// Duplicates counts second and later handlings of one message by one
	// queue group or one subscription; core NATS never duplicates.
	Duplicates int
}

// TallyKeys tallies a run from the messages published and, per
// subscription, the messages its application handled in order. queue
// names each subscription's queue group ("" for a plain one): the members
// of a group share one copy of each message.
func TallyKeys(published []PubKey, handled [][]PubKey, queue []string) Tally {
	t := Tally{Published: len(published)}
	got := map[PubKey]bool{}
	seen := map[string]map[PubKey]bool{} // per group, or per subscription
	for i, h := range handled {
		owner := fmt.Sprintf("sub#%d", i)
		if queue[i] != "" {
			owner = "queue " + queue[i]
		}
		if seen[owner] == nil {
			seen[owner] = map[PubKey]bool{}
		}
		last := map[string]int{} // per publisher, the highest rank handled so far
		for _, k := range h {
			got[k] = true
			if seen[owner][k] {
				t.Duplicates++
			}
			seen[owner][k] = true
			if hi, ok := last[k.From]; ok && k.Seq < hi {
				t.Late++
			} else {
				last[k.From] = k.Seq
			}
		}
	}
	for _, k := range published {
		if !got[k] {
			t.Lost++
		}
	}
	return t
}

// TallyModel tallies a model run the way a real run is tallied: the
// messages the scenario's clients published (not refused), and what each
// scenario subscription handled (the response mux is not one).
func TallyModel(res *model.Result) Tally {
	var published []PubKey
	keys := make([]PubKey, len(res.Ledger.Messages))
	rank := map[string]int{}
	for i, m := range res.Ledger.Messages {
		if m.Status != 0 || m.Fate == model.MsgRefused {
			continue
		}
		from := res.Str(m.From)
		keys[i] = PubKey{from, rank[from]}
		rank[from]++
		published = append(published, keys[i])
	}
	var handled [][]PubKey
	var queue []string
	for _, s := range res.Subs {
		if s.Mux {
			continue
		}
		h := make([]PubKey, s.NumHandled())
		for i, x := range s.Handled() {
			h[i] = keys[x.Msg-1]
		}
		handled = append(handled, h)
		queue = append(queue, res.Str(s.Queue))
	}
	return TallyKeys(published, handled, queue)
}

// ModelCluster plays sc (already PrepareCluster'd) on the model with
// seeds 1..n, every latency jittered by j, with mutations muts, and
// tallies each run.
func ModelCluster(sc *scenario.Scenario, n int, j time.Duration, muts model.MutationSet) ([]Tally, error) {
	jsc, err := Jittered(sc, j)
	if err != nil {
		return nil, err
	}
	out := make([]Tally, n)
	for i := range out {
		res, err := model.Run(jsc, model.Config{Chooser: sim.NewPCG(uint64(i + 1)), Mutations: muts})
		if err != nil {
			return nil, fmt.Errorf("%s: model, seed %d: %w", sc.Name, i+1, err)
		}
		out[i] = TallyModel(res)
	}
	return out, nil
}

// Spread summarises one side's tallies.
type Spread struct {
	Runs                   int
	LossRuns               int // runs that lost at least one message
	MinLost, MedLost       int
	MaxLost                int
	LateRuns, MaxLate      int
	DuplicateRuns, MaxDups int
}

// Summarise returns the spread of ts (which must not be empty).
func Summarise(ts []Tally) Spread {
	lost := make([]int, len(ts))
	s := Spread{Runs: len(ts)}
	for i, t := range ts {
		lost[i] = t.Lost
		if t.Lost > 0 {
			s.LossRuns++
		}
		if t.Late > 0 {
			s.LateRuns++
		}
		if t.Duplicates > 0 {
			s.DuplicateRuns++
		}
		s.MaxLate = max(s.MaxLate, t.Late)
		s.MaxDups = max(s.MaxDups, t.Duplicates)
	}
	slices.Sort(lost)
	s.MinLost, s.MedLost, s.MaxLost = lost[0], lost[len(lost)/2], lost[len(lost)-1]
	return s
}

// Judgement is JudgeCluster's answer: whether the sides agree and, when
// they do not, every rule that failed.
type Judgement struct {
	Agree bool
	Why   []string
}

// JudgeCluster judges a real cluster's tallies against the model's. The
// sides agree when all of these hold (docs/conformance/cluster.md says
// why these and not a test of equal rates):
//
//  1. loss: both sides lose messages in some run, or neither in any;
//  2. loss count: the ranges [min, max] of messages lost per run overlap;
//  3. late delivery (re-routing): both sides hand some message to the
//     application after a later one of its publisher, or neither does;
//  4. duplicates: neither side duplicates (core NATS never does, and the
//     model must not either).
func JudgeCluster(real, mdl []Tally) Judgement {
	r, m := Summarise(real), Summarise(mdl)
	var why []string
	if (r.LossRuns > 0) != (m.LossRuns > 0) {
		why = append(why, fmt.Sprintf("loss: real lost messages in %d of %d runs, the model in %d of %d", r.LossRuns, r.Runs, m.LossRuns, m.Runs))
	}
	if r.MaxLost < m.MinLost || m.MaxLost < r.MinLost {
		why = append(why, fmt.Sprintf("loss count: real %d..%d per run, model %d..%d: the ranges do not overlap", r.MinLost, r.MaxLost, m.MinLost, m.MaxLost))
	}
	if (r.LateRuns > 0) != (m.LateRuns > 0) {
		why = append(why, fmt.Sprintf("late delivery: real reordered in %d of %d runs, the model in %d of %d", r.LateRuns, r.Runs, m.LateRuns, m.Runs))
	}
	if r.DuplicateRuns > 0 || m.DuplicateRuns > 0 {
		why = append(why, fmt.Sprintf("duplicates: real in %d of %d runs, the model in %d of %d; want none", r.DuplicateRuns, r.Runs, m.DuplicateRuns, m.Runs))
	}
	return Judgement{Agree: len(why) == 0, Why: why}
}
