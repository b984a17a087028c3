package model

import (
	"strings"
	"testing"
)

// TestInternKeepsTwoStringsOfOneSet: two strings whose addresses share a
// set of the recent cache, interned in turn, are both found there, not in
// the map. Catches a cache of one string a set, where they evicted each
// other and every intern hashed (6 % of the standard scenario in a build
// where two of its strings shared a slot). The map is emptied after the
// first round, so a lookup that reaches it adds a second id.
func TestInternKeepsTwoStringsOfOneSet(t *testing.T) {
	var a, b string
	seen := map[uintptr]string{}
	for i := 0; b == ""; i++ {
		s := strings.Clone("subject." + strings.Repeat("x", i%7))
		if other, ok := seen[recentSet(s)]; ok && other != s {
			a, b = other, s
		}
		seen[recentSet(s)] = s
	}
	var l Ledger
	idA, idB := l.Intern(a), l.Intern(b)
	l.strs.ids = map[string]Str{} // from here on, reaching the map would add a new id
	for range 3 {
		if l.Intern(a) != idA || l.Intern(b) != idB {
			t.Fatalf("%q and %q, which share a set, are not both kept in it", a, b)
		}
	}
}
