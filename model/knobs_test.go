package model

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKnobsCoverProfile: every Profile field is a knob of the table or one
// of its notes, knobs in field order, so `drainsim profiles` cannot leave a
// knob out.
func TestKnobsCoverProfile(t *testing.T) {
	var fields []string
	rt := reflect.TypeOf(Profile{})
	for i := 0; i < rt.NumField(); i++ {
		if name := rt.Field(i).Name; !slices.Contains(KnobNotes, name) {
			fields = append(fields, name)
		}
	}
	var knobs []string
	for _, k := range Knobs() {
		knobs = append(knobs, k.Field)
	}
	if !slices.Equal(fields, knobs) {
		t.Fatalf("Knobs() lists %v;\nProfile has the knobs %v", knobs, fields)
	}
}

// TestKnobValuesAreNamed: no profile has a knob value the table cannot
// name (an enumerated value without a name shows as ?N).
func TestKnobValuesAreNamed(t *testing.T) {
	for _, name := range ProfileNames() {
		p, _ := LookupProfile(name)
		for _, k := range Knobs() {
			if v := k.Value(p); strings.HasPrefix(v, "?") || v == "" {
				t.Errorf("profile %s, knob %s: value %q", name, k.Field, v)
			}
		}
	}
	if got := pick(3, "a", "b"); got != "?3" {
		t.Errorf("pick out of range = %q", got)
	}
}

// TestWithoutInferred: turning an inferred behaviour off changes a copy,
// never the registered profile, and keeps the other inferred behaviours.
func TestWithoutInferred(t *testing.T) {
	p := &CSharpV1Profile
	without, ok := p.WithoutInferred("CS-M4")
	if !ok {
		t.Fatal("csharp-v1 has no CS-M4 to turn off")
	}
	if without.Criterion != HandlerReturned || p.Criterion != QueueEmpty {
		t.Fatalf("Criterion: copy %v, original %v", without.Criterion, p.Criterion)
	}
	if len(without.Inferred) != len(p.Inferred)-1 || without.Inferred[0].ID == "CS-M4" {
		t.Fatalf("copy's inferred behaviours: %+v", without.Inferred)
	}
	if _, ok := p.WithoutInferred("nope"); ok {
		t.Fatal("an unknown inferred behaviour was turned off")
	}
	if _, ok := CSharpV1Profile.WithoutInferred("drain-reconnecting"); ok {
		t.Fatal("a behaviour without a Without func was turned off")
	}
}

// TestDrainBound: each profile's bound on a drain, or none.
func TestDrainBound(t *testing.T) {
	const s, ms = time.Second, time.Millisecond
	cases := []struct {
		p       *Profile
		timeout time.Duration
		want    time.Duration
		bounded bool
	}{
		{&GoProfile, 10 * s, 10*s + 10*ms + 5*s, true},
		{&GoProfile, 0, 10*ms + 5*s, true},                       // zero: the deadline has passed
		{&CProfile, 0, 0, false},                                 // zero: no deadline, waits for the application
		{&JavaProfile, 100 * ms, 10*s + 100*ms + ms + 5*s, true}, // the deadline starts after the barrier
		{&NatsJSProfile, 0, 10*s + 5*s, true},                    // no timeout, but every sub goes at its barrier
		{&PythonProfile, 30 * s, 30*s + 10*s, true},
		{&RubyEMProfile, 30 * s, 0, false}, // its barrier has no timeout
	}
	for _, c := range cases {
		got, ok := c.p.DrainBound(c.timeout)
		if got != c.want || ok != c.bounded {
			t.Errorf("%s.DrainBound(%v) = %v, %v; want %v, %v", c.p.Name, c.timeout, got, ok, c.want, c.bounded)
		}
	}
}
