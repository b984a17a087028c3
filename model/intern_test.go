package model_test

import (
	"strings"
	"testing"

	"github.com/drainsim/drainsim/model"
)

// TestIntern: a string interned twice, from the same bytes or from a copy
// at another address, gets one id, and Str reads every string back. Catches
// a recent-strings cache that trusts its slot without comparing the string
// (two strings whose bytes share a slot would swap ids) and a table that
// adds a copy instead of finding it.
func TestIntern(t *testing.T) {
	l := &model.Ledger{}
	if id := l.Intern(""); id != 0 || l.Str(id) != "" {
		t.Fatalf(`Intern("") = %d (%q), want 0 ("")`, id, l.Str(id))
	}
	words := []string{"app", "work", "actions[0]", "publish", "ok"}
	ids := map[model.Str]string{}
	for round := range 3 {
		for _, w := range words {
			s := w
			if round == 1 { // the same string at another address
				s = strings.Clone(w)
			}
			id := l.Intern(s)
			if got := l.Str(id); got != w {
				t.Fatalf("round %d: Str(Intern(%q)) = %q", round, w, got)
			}
			if prev, ok := ids[id]; ok && prev != w {
				t.Fatalf("round %d: %q and %q share id %d", round, prev, w, id)
			}
			ids[id] = w
		}
	}
	if len(ids) != len(words) {
		t.Errorf("%d ids for %d strings", len(ids), len(words))
	}
	// Many strings through the recent slots: each keeps its own id.
	for i := range 1000 {
		s := strings.Repeat("x", i%40) + string(rune('a'+i%26))
		if got := l.Str(l.Intern(s)); got != s {
			t.Fatalf("Str(Intern(%q)) = %q", s, got)
		}
	}
}
