package model

import (
	"strings"
	"testing"
	"unsafe"
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

// TestEqualAndPutString: equal reports equal bytes whether or not the two
// strings are one (same), and putString writes a string only where the
// slot holds other bytes. Catches an equal that compares identity alone
// (a copy of a client's name or subject would not match, and the set-up
// would look it up or take it as new), one that compares lengths alone,
// and a putString that writes an equal copy or skips a different one.
func TestEqualAndPutString(t *testing.T) {
	a := strings.Repeat("ab", 3)
	copyA := strings.Clone(a)
	for _, tc := range []struct {
		x, y string
		want bool
	}{{a, a, true}, {a, copyA, true}, {a, "ababac", false}, {a, "abab", false}, {"", "", true}} {
		if got := equal(tc.x, tc.y); got != tc.want {
			t.Errorf("equal(%q, %q) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
	p := a
	if putString(&p, copyA); unsafe.StringData(p) != unsafe.StringData(a) {
		t.Errorf("putString wrote an equal copy over the string")
	}
	if putString(&p, "x"); p != "x" {
		t.Errorf("putString left %q, want x", p)
	}
}
