package props

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/model"
	"github.com/drainsim/drainsim/model/scenario"
)

// recordTB is a rapid.TB that records a failure instead of failing the
// test, so a test can assert that rapid finds (and shrinks) a
// counterexample.
type recordTB struct {
	name   string
	failed bool
	logs   []string
}

// stopRecord is what recordTB.FailNow and SkipNow panic with.
type stopRecord struct{}

func (r *recordTB) Helper()      {}
func (r *recordTB) Name() string { return r.name }
func (r *recordTB) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}
func (r *recordTB) Log(args ...any) { r.logs = append(r.logs, fmt.Sprint(args...)) }
func (r *recordTB) Skipf(format string, args ...any) {
	r.Logf(format, args...)
	r.SkipNow()
}
func (r *recordTB) Skip(args ...any) { r.Log(args...); r.SkipNow() }
func (r *recordTB) SkipNow()         { panic(stopRecord{}) }
func (r *recordTB) Errorf(format string, args ...any) {
	r.failed = true
	r.Logf(format, args...)
}
func (r *recordTB) Error(args ...any) { r.failed = true; r.Log(args...) }
func (r *recordTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.FailNow()
}
func (r *recordTB) Fatal(args ...any) { r.Error(args...); r.FailNow() }
func (r *recordTB) FailNow()          { r.failed = true; panic(stopRecord{}) }
func (r *recordTB) Fail()             { r.failed = true }
func (r *recordTB) Failed() bool      { return r.failed }

// withRapidFlags sets rapid's command-line flags (name, value, name,
// value, ...) for the duration of fn and restores them afterwards.
func withRapidFlags(t *testing.T, nameValues []string, fn func()) {
	t.Helper()
	var restore []func()
	defer func() {
		for i := len(restore) - 1; i >= 0; i-- {
			restore[i]()
		}
	}()
	for i := 0; i+1 < len(nameValues); i += 2 {
		f := flag.Lookup(nameValues[i])
		if f == nil {
			t.Fatalf("no flag %s", nameValues[i])
		}
		old := f.Value.String()
		if err := f.Value.Set(nameValues[i+1]); err != nil {
			t.Fatal(err)
		}
		restore = append(restore, func() { _ = f.Value.Set(old) })
	}
	fn()
}

// TestRapidFindsAndShrinksMutations runs, for each invariant and the
// mutation it is meant to catch, the invariant's rapid property against the
// mutated model through a recording TB. It shows that the property tests
// can fail, that rapid shrinks the counterexample, and that the scenario
// logged for replay reproduces the violation under `drainsim run`.
func TestRapidFindsAndShrinksMutations(t *testing.T) {
	for _, k := range killers {
		t.Run(k.invariant+"/"+k.mutation, func(t *testing.T) {
			inv, _ := Lookup(k.invariant)
			m, err := model.ParseMutation(k.mutation)
			if err != nil {
				t.Fatal(err)
			}
			muts := model.MutationSet(0).With(m)
			prop := func(t *rapid.T) {
				ch := RapidChooser(t)
				sc := GenScenario(ch.Stream("gen"))
				res, err := model.Run(sc, model.Config{Chooser: ch.Stream("model"), Mutations: muts})
				if err != nil {
					t.Fatalf("model.Run: %v", err)
				}
				if v := inv.Check(res); len(v) > 0 {
					t.Logf("%s%s", replayPrefix, replayYAML(sc, inv, muts))
					t.Fatalf("%s: %s", inv.ID, Shorten(v))
				}
			}
			// Rapid's seeds are fixed so that the test is reproducible; a
			// few are tried because one run of 100 checks may miss. Rapid
			// runs a fifth of the checks under -short: ask for five times
			// as many.
			checks := 100
			if testing.Short() {
				checks *= 5
			}
			for seed := 1; seed <= 5; seed++ {
				rec := &recordTB{name: "props-rapid-mutation"}
				start := time.Now()
				withRapidFlags(t, []string{
					"rapid.nofailfile", "true", "rapid.failfile", "", "rapid.checks", fmt.Sprint(checks), "rapid.seed", fmt.Sprint(seed),
				}, func() {
					defer func() {
						if x := recover(); x != nil {
							if _, ok := x.(stopRecord); !ok {
								panic(x)
							}
						}
					}()
					rapid.Check(rec, prop)
				})
				if !rec.failed {
					continue
				}
				yaml := ""
				for _, l := range rec.logs {
					if strings.HasPrefix(l, replayPrefix) {
						yaml = strings.TrimPrefix(l, replayPrefix)
					}
				}
				if yaml == "" {
					t.Fatalf("rapid failed but logged no scenario: %q", rec.logs)
				}
				checkReplay(t, yaml, inv, muts)
				t.Logf("rapid seed %d: found and shrank a counterexample in %v:\n%s", seed, time.Since(start).Round(time.Millisecond), yaml)
				return
			}
			t.Fatalf("rapid did not find %s violated under %s with seeds 1..5", inv.ID, m)
		})
	}
}

// replayPrefix marks the log line that carries the replay scenario.
const replayPrefix = "replay scenario:\n"

// checkReplay parses a logged scenario and, when it claims to reproduce the
// violation with its own seed, checks that it does.
func checkReplay(t *testing.T, yaml string, inv Invariant, muts model.MutationSet) {
	t.Helper()
	sc, err := scenario.Parse("replay.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("logged scenario does not parse: %v\n%s", err, yaml)
	}
	if !strings.HasPrefix(yaml, "# "+inv.ID+" also fails") {
		return
	}
	res, err := model.Run(sc, model.Config{Mutations: muts})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Check(res)) == 0 {
		t.Fatalf("logged scenario claims to reproduce %s but does not:\n%s", inv.ID, yaml)
	}
}
