package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
	"github.com/drainsim/drainsim/props"
)

// Property checks of the real nats.go: generated scenarios are played on
// the real client and server in virtual time and RealInvariants are
// evaluated on what the run recorded (RealResult). A violation is shrunk
// with the predicate "the real client violates the invariant" and written
// as a scenario file.
//
//	go test ./conformance -run 'TestRealProps$' -v                       # realPropsDefault seeds
//	DRAINSIM_REALPROPS=2000 go test ./conformance -run 'TestRealProps$' -v
//	DRAINSIM_REALPROPS_SEED=5000 DRAINSIM_REALPROPS_OUT=dir ...           # first seed; where shrunk files go
//
// Against another nats.go, build the package with an alternate module file
// that pins it (the main go.mod keeps v1.55.0), e.g. v1.53.1:
//
//	go test -modfile=conformance/go153.mod ./conformance -run TestRealPropsFindsB12 -v

// realPropsDefault is how many seeds TestRealProps checks unless told.
const realPropsDefault = 20

// realSlack is how long a real run goes on past the model's last event, so
// that what the model does not predict has time to show: a drain's final
// flush times out after 5 s, and nats.go v1.53.1 closes a revived
// connection again only then (B12).
const realSlack = 6 * time.Second

// realShrinkRuns is how many virtual runs a shrinking candidate gets to
// show the violation: a tie may hide it in one.
const realShrinkRuns = 3

// realProfile is the model profile whose API rules and drain bound the
// linked nats.go is judged by: go-1.53 for v1.53.x and v1.54.x, the Go
// profile otherwise.
func realProfile(t *testing.T) *model.Profile {
	if strings.HasPrefix(nats.Version, "1.53.") || strings.HasPrefix(nats.Version, "1.54.") {
		p, err := model.LookupProfile("go-1.53")
		require.NoError(t, err)
		q := *p
		q.ReconnectJitter = 0
		return &q
	}
	return profile()
}

// realCheck plays the prepared scenario p on the real stack once and
// evaluates RealInvariants on the run; the error is the harness's (a
// stalled bubble), not a verdict.
func realCheck(t *testing.T, p *scenario.Scenario, prof *model.Profile) ([]RealViolation, error) {
	res, err := model.Run(p, model.Config{Profile: profile()})
	if err != nil {
		return nil, err
	}
	until := realDuration(ModelSide(res).Outcome) + realSlack
	side, err := runVirtual(t, p, until)
	if err != nil {
		return nil, err
	}
	return RealViolations(p, prof, side.Outcome, until)
}

// realViolates is the shrinking predicate: sc can be played and one of
// realShrinkRuns real runs violates inv.
func realViolates(t *testing.T, sc *scenario.Scenario, prof *model.Profile, inv string) bool {
	p, err := Prepare(sc, 1)
	if err != nil {
		return false
	}
	for range realShrinkRuns {
		vs, err := realCheck(t, p, prof)
		if err != nil {
			return false
		}
		if slices.ContainsFunc(vs, func(v RealViolation) bool { return v.Invariant == inv }) {
			return true
		}
	}
	return false
}

// realFinding is one invariant the real client violated, shrunk.
type realFinding struct {
	seed   uint64
	inv    string
	detail string
	shrunk *scenario.Scenario
	path   string
}

// realPropsReport is what a property check of the real client did.
type realPropsReport struct {
	seeds, checked int
	setAside       map[string]int
	findings       []realFinding
	wall           time.Duration
}

// found reports whether a finding violates inv (any invariant when inv
// is "").
func (r *realPropsReport) found(inv string) bool {
	return slices.ContainsFunc(r.findings, func(f realFinding) bool { return inv == "" || f.inv == inv })
}

func (r *realPropsReport) String() string {
	var reasons []string
	set := 0
	for why, k := range r.setAside {
		set += k
		reasons = append(reasons, fmt.Sprintf("  %6d %s", k, why))
	}
	slices.Sort(reasons)
	var ids []string
	for _, inv := range RealInvariants() {
		ids = append(ids, inv.ID)
	}
	s := fmt.Sprintf("nats.go v%s: %d seeds in %s: %d checked on the real client for %d invariants (%s), %d violated, %d set aside:\n%s",
		nats.Version, r.seeds, r.wall.Round(time.Millisecond), r.checked, len(ids), strings.Join(ids, ", "),
		len(r.findings), set, strings.Join(reasons, "\n"))
	for _, f := range r.findings {
		s += fmt.Sprintf("\nseed %d violates %s: %s\n  shrunk to %d actions, %s", f.seed, f.inv, f.detail, props.Size(f.shrunk), f.path)
	}
	return s
}

// realProps checks n generated seeds from first on the real client until a
// scenario violates the invariant want (any invariant when want is ""):
// each invariant a scenario violates is shrunk and written to out.
func realProps(t *testing.T, first uint64, n int, out, want string) *realPropsReport {
	prof := realProfile(t)
	rep := &realPropsReport{setAside: map[string]int{}}
	start := time.Now()
	for seed := first; seed < first+uint64(n) && !rep.found(want); seed++ {
		rep.seeds++
		p, why := swarmScenario(seed, false)
		if p == nil {
			rep.setAside[why]++
			continue
		}
		vs, err := realCheck(t, p, prof)
		if err != nil {
			rep.setAside["harness: "+numbers.ReplaceAllString(strings.TrimPrefix(err.Error(), p.Name+": "), "N")]++
			continue
		}
		rep.checked++
		for _, v := range vs {
			small := props.Shrink(p, func(sc *scenario.Scenario) bool { return realViolates(t, sc, prof, v.Invariant) })
			small.Name = fmt.Sprintf("real-%s-%d", v.Invariant, seed)
			detail := props.Shorten(v.Details) // as generated, unless a run of the shrunk scenario shows it
			if p, err := Prepare(small, 1); err == nil {
				if vs, err := realCheck(t, p, prof); err == nil {
					if i := slices.IndexFunc(vs, func(w RealViolation) bool { return w.Invariant == v.Invariant }); i >= 0 {
						detail = props.Shorten(vs[i].Details)
					}
				}
			}
			path := filepath.Join(out, small.Name+".yaml")
			require.NoError(t, os.WriteFile(path, small.Marshal(), 0o644))
			rep.findings = append(rep.findings, realFinding{seed: seed, inv: v.Invariant, detail: detail, shrunk: small, path: path})
		}
	}
	rep.wall = time.Since(start)
	return rep
}

// realPropsEnv reads DRAINSIM_REALPROPS (seeds, default def),
// DRAINSIM_REALPROPS_SEED (first seed, default 1) and DRAINSIM_REALPROPS_OUT
// (where shrunk scenarios go, default a temporary directory).
func realPropsEnv(t *testing.T, def int) (first uint64, n int, out string) {
	n, first = def, 1
	if s := os.Getenv("DRAINSIM_REALPROPS"); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(t, err, "DRAINSIM_REALPROPS=%q: want a number of seeds", s)
		n = v
	}
	if s := os.Getenv("DRAINSIM_REALPROPS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "DRAINSIM_REALPROPS_SEED=%q: want a seed", s)
		first = v
	}
	if out = os.Getenv("DRAINSIM_REALPROPS_OUT"); out == "" {
		out = t.TempDir()
	}
	return first, n, out
}

// TestRealProps property-tests the linked nats.go: no generated scenario
// may make it violate an invariant of RealInvariants. A violation fails
// the test with the scenario shrunk and written as a file, to replay on
// the model and the client (TestReplay) or to run again here.
func TestRealProps(t *testing.T) {
	first, n, out := realPropsEnv(t, realPropsDefault)
	rep := realProps(t, first, n, out, "")
	t.Log(rep)
	for _, f := range rep.findings {
		t.Errorf("nats.go v%s violates %s (seed %d): %s\nshrunk to %d actions, %s:\n%s",
			nats.Version, f.inv, f.seed, f.detail, props.Size(f.shrunk), f.path, f.shrunk.Marshal())
	}
}

// TestRealPropsFindsB12 shows the check on history: nats.go v1.53.1's
// drain goroutine revives a connection closed during the drain as
// DRAINING_PUBS and closes it again 5 s later (B12, fixed in v1.55.0), and
// the check must find that as a closed-is-final violation, shrunk to a few
// actions; other findings on the way are logged (v1.53.1's StatusChanged
// also loses events: it receives from a listener's channel to see whether
// it is closed, and so may take an event the listener has not read, which
// shows as a publish refused with ErrConnectionDraining while the status
// the application saw says CONNECTED). It runs only when the package is
// built against v1.53.1:
//
//	go test -modfile=conformance/go153.mod ./conformance -run TestRealPropsFindsB12 -v
func TestRealPropsFindsB12(t *testing.T) {
	if nats.Version != "1.53.1" {
		t.Skipf("nats.go v%s is linked; build with -modfile=conformance/go153.mod to check v1.53.1", nats.Version)
	}
	first, n, out := realPropsEnv(t, 2000)
	rep := realProps(t, first, n, out, "closed-is-final")
	t.Log(rep)
	i := slices.IndexFunc(rep.findings, func(f realFinding) bool { return f.inv == "closed-is-final" })
	require.GreaterOrEqual(t, i, 0, "B12 should show as closed-is-final; not found in %d seeds", rep.seeds)
	f := rep.findings[i]
	require.LessOrEqual(t, props.Size(f.shrunk), 4, "shrunk to more than a few actions:\n%s", f.shrunk.Marshal())
	t.Logf("B12 as found and shrunk:\n%s", f.shrunk.Marshal())
}

// TestRealInvariantsCoverCatalogue: every invariant of the catalogue is
// either evaluated on real runs or says why it cannot be, never both.
// Catches an invariant added to the catalogue without that decision, or a
// stale name in either list.
func TestRealInvariantsCoverCatalogue(t *testing.T) {
	real := map[string]bool{}
	for _, ri := range realInvariants {
		_, ok := props.Lookup(ri.id)
		require.True(t, ok, "realInvariants names %q, not in the catalogue", ri.id)
		real[ri.id] = true
	}
	for id := range notOnReal {
		_, ok := props.Lookup(id)
		require.True(t, ok, "notOnReal names %q, not in the catalogue", id)
	}
	for _, inv := range props.Catalogue() {
		require.True(t, real[inv.ID] != (NotOnReal(inv.ID) != ""),
			"%s: want it in exactly one of realInvariants and notOnReal", inv.ID)
	}
	require.Len(t, RealInvariants(), len(realInvariants))
}

// TestRealResultKeepsVerdicts checks RealResult on model runs: rebuilt
// from a model run's outcome, the records give every RealInvariant the
// verdict the model's own records give, on the conformance corpus and on
// the matrix's counterexamples (which violate closed-callback,
// drain-closes, closed-is-final … under their profiles). Catches a
// RealResult that loses or reorders what an invariant reads: dropping the
// status transitions after the first CLOSED (go-1.53--closed-is-final),
// the callbacks' order (c--closed-callback), or the drain's call time
// (c--drain-closes).
func TestRealResultKeepsVerdicts(t *testing.T) {
	files, err := filepath.Glob("../examples/matrix/*.yaml")
	require.NoError(t, err)
	corpus, err := filepath.Glob("../testdata/conformance/*.yaml")
	require.NoError(t, err)
	files = append(files, corpus...)
	require.NotEmpty(t, files)
	violated, partial := map[string]bool{}, map[string]bool{}
	for _, ri := range realInvariants {
		partial[ri.id] = ri.partial
	}
	for _, f := range files {
		sc, err := scenario.Load(f)
		require.NoError(t, err)
		res, err := model.Run(sc, model.Config{})
		require.NoError(t, err, f)
		rr, err := RealResult(sc, res.Profile, res.Outcome(), time.Duration(res.Stop.Now))
		require.NoError(t, err, f)
		for _, inv := range RealInvariants() {
			want, got := inv.Check(res), inv.Check(rr)
			violated[inv.ID] = violated[inv.ID] || len(got) > 0
			if partial[inv.ID] && len(want) > 0 { // a partial evaluation may miss a violation, never invent one
				continue
			}
			require.Equal(t, len(want) > 0, len(got) > 0, "%s: %s on the model's records: %q; on RealResult: %q", f, inv.ID, want, got)
		}
	}
	for _, id := range []string{"closed-is-final", "closed-callback", "drain-closes"} {
		require.True(t, violated[id], "no file violates %s: the test no longer covers it", id)
	}
}

// TestRealResultRefusesBadStatus: an outcome with a status nats.go does
// not have is refused with the connection and the status named.
func TestRealResultRefusesBadStatus(t *testing.T) {
	sc, err := scenario.Load("../examples/matrix/go-1.53--closed-is-final.yaml")
	require.NoError(t, err)
	res, err := model.Run(sc, model.Config{})
	require.NoError(t, err)
	o := res.Outcome()
	o.Connections[0].Status[0].Status = "LAME_DUCK"
	_, err = RealResult(sc, res.Profile, o, time.Minute)
	require.ErrorContains(t, err, `connection `+o.Connections[0].Client+`: status "LAME_DUCK"`)
}

// TestRealResultSyncTies: two NextMsg callers of one sync subscription
// that take messages at one instant record them in either order, and that
// is no FIFO violation; one taken a moment after a later message is.
// Catches RealResult keeping the recording order of such ties (seed 499
// of the generator, shrunk: a next_msg loop waiting while another
// next_msg and two publishes come at 1 s, reported fifo-per-publisher).
func TestRealResultSyncTies(t *testing.T) {
	sc := &scenario.Scenario{Name: "ties", Subs: []scenario.Subscription{{ID: "s1", Client: "c0", Subject: "t1", Type: scenario.Sync}}}
	fifo, ok := props.Lookup("fifo-per-publisher")
	require.True(t, ok)
	for _, c := range []struct {
		second int64 // when msg 1 is taken; msg 2 is taken at 1 s
		fails  bool
	}{{1e9, false}, {1e9 + 1e6, true}} {
		end2, end1 := int64(1e9), c.second
		o := &model.Outcome{
			Calls: []model.CallOutcome{
				{Source: "actions[1]", Verb: "publish", Client: "c0", AtNS: 1e9, ReturnedAtNS: 1e9, Result: model.OK, Msg: 1},
				{Source: "actions[1]", Verb: "publish", Client: "c0", AtNS: 1e9, ReturnedAtNS: 1e9, Result: model.OK, Msg: 2},
			},
			Subscriptions: []model.SubOutcome{{ID: "s1", Client: "c0", Subject: "t1", Type: "sync", Delivered: []model.DeliveredOut{
				{Msg: 2, StartNS: 1e9, EndNS: &end2}, {Msg: 1, StartNS: c.second, EndNS: &end1}}}},
		}
		res, err := RealResult(sc, profile(), o, 2*time.Second)
		require.NoError(t, err)
		require.Equal(t, c.fails, len(fifo.Check(res)) > 0, "msg 1 taken at %d ns: %q", c.second, fifo.Check(res))
	}
}
