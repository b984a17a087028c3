package model

import "unsafe"

// Str is a string interned in a run's Ledger: the per-message and per-call
// records name their subjects, clients and reasons by a Str instead of
// holding the string, so that they hold no pointers. Ledger.Str reads it
// back; the zero Str is "".
type Str uint32

// strTable interns strings in first-use order, so a run's ids depend only
// on the run (determinism). Its zero value is an empty table holding "".
type strTable struct {
	strs []string // by id - 1; id 0 is ""
	ids  map[string]Str
	// recent holds recently interned strings by the address of their
	// bytes: a run interns the same few strings (its client names, the
	// scenario's subjects and sources, the verbs and results) again and
	// again, and comparing a string with the one at its own address costs
	// a pointer compare, where the map would hash it.
	recent [recentSlots]interned
}

// recentSlots is the size of strTable.recent, a power of two: 2^5.
const recentSlots = 1 << 5

// recentSlot is s's slot in strTable.recent: the address of its bytes,
// multiplied by 2^64 / the golden ratio so that strings packed next to one
// another in the binary's string table land far apart, top five bits.
func recentSlot(s string) uintptr {
	return uintptr(uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))*0x9E3779B97F4A7C15>>59) & (recentSlots - 1)
}

// interned is one entry of strTable.recent.
type interned struct {
	s  string
	id Str
}

// Str returns the string s names, "" for the zero Str.
func (l *Ledger) Str(s Str) string {
	if s == 0 {
		return ""
	}
	return l.strs.strs[s-1]
}

// Intern returns the Str naming s in this ledger, adding s if it is new:
// a ledger built by hand (a test, a real run's result) interns its strings
// with it.
func (l *Ledger) Intern(s string) Str {
	if s == "" {
		return 0
	}
	t := &l.strs
	r := &t.recent[recentSlot(s)]
	if r.s == s { // equal strings at the same address compare by address
		return r.id
	}
	id, ok := t.ids[s]
	if !ok {
		id = t.add(s)
	}
	*r = interned{s, id}
	return id
}

// reserve makes room for n strings in an empty table, so that a run
// interning thousands does not grow and rehash it step by step.
func (t *strTable) reserve(n int) {
	if t.ids == nil {
		t.ids = make(map[string]Str, n)
		t.strs = make([]string, 0, n)
	}
}

// add appends s, which the table does not hold, and returns its id.
func (t *strTable) add(s string) Str {
	if t.ids == nil {
		t.ids = make(map[string]Str)
	}
	t.strs = append(t.strs, s)
	id := Str(len(t.strs))
	t.ids[s] = id
	return id
}

// Str returns the string s names in the run's ledger.
func (r *Result) Str(s Str) string { return r.Ledger.Str(s) }
