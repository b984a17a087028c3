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
	// ids finds a string's id; only Intern reads it. A plain Run's
	// Result leaves it to the Runner's next run (strTable.detach), and
	// Intern rebuilds it from strs when it is nil.
	ids map[string]Str
	// recent holds recently interned strings by the address of their
	// bytes: a run interns the same few strings (its client names, the
	// scenario's subjects and sources, the verbs and results) again and
	// again, and comparing a string with the one at its own address costs
	// a pointer compare, where the map would hash it. Each set holds two,
	// the newer first: with one a set, two strings interned in turn whose
	// addresses shared it (in a quarter of builds, for the standard
	// scenario's five strings, as the binary's layout fell) evicted each
	// other, and every call went to the map (6 % of that run).
	recent [recentSets][2]interned
}

// recentSets is the number of sets in strTable.recent, a power of two: 2^4.
const recentSets = 1 << 4

// recentSet is s's set in strTable.recent: the address of its bytes,
// multiplied by 2^64 / the golden ratio so that strings packed next to one
// another in the binary's string table land far apart, top four bits.
func recentSet(s string) uintptr {
	return uintptr(uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))*0x9E3779B97F4A7C15>>60) & (recentSets - 1)
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
	set := &t.recent[recentSet(s)]
	if same(set[0].s, s) {
		return set[0].id
	}
	if same(set[1].s, s) {
		return set[1].id
	}
	if t.ids == nil {
		t.index()
	}
	id, ok := t.ids[s]
	if !ok {
		id = t.add(s)
	}
	set[1], set[0] = set[0], interned{s, id}
	return id
}

// interned returns the Str naming s if s has been interned, without
// adding it or going through the recent strings: World.clientIndex looks
// client names up in it, which a thousand clients' lookups would only
// cycle through.
func (l *Ledger) interned(s string) (Str, bool) {
	if s == "" {
		return 0, true
	}
	t := &l.strs
	if t.ids == nil {
		t.index()
	}
	id, ok := t.ids[s]
	return id, ok
}

// same reports whether a and b are one string: the same bytes at the same
// address. The recent cache compares by identity, not contents: a string of
// the same length in the set's other way would cost a byte comparison, and
// a copy of a string at another address is found in the map.
func same(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// reserve makes room for n strings in an empty table, so that a run
// interning thousands does not grow and rehash it step by step.
func (t *strTable) reserve(n int) {
	if t.ids == nil {
		t.ids = make(map[string]Str, n)
	}
	if t.strs == nil {
		t.strs = make([]string, 0, n)
	}
}

// index makes t's map of the strings it holds.
func (t *strTable) index() {
	t.ids = make(map[string]Str, len(t.strs))
	for i, s := range t.strs {
		t.ids[s] = Str(i + 1)
	}
}

// add appends s, which the table does not hold, and returns its id.
func (t *strTable) add(s string) Str {
	t.strs = append(t.strs, s)
	id := Str(len(t.strs))
	t.ids[s] = id
	return id
}

// empty leaves the string table t with no strings, for a Runner's next run
// (takeResult): a table interns a few dozen strings a run, and growing its
// map and list anew each time was 6 % of the objects check allocated.
// Emptied, it gives every string the id a new table would; recent is
// cleared, as it holds the last run's ids. It empties t in place: the
// table is most of a Ledger's bytes (recent), and building an emptied
// copy to assign was 1.4 % of a small run's instructions.
//
// It costs this run's strings, not the most any run interned: clearing a
// map or a whole array costs its capacity, which in `drainsim check` is
// the largest generated scenario's (a run with hundreds of request
// inboxes), and paying that after every small run was 4 % of a check
// scenario's CPU. So the map loses this run's strings one by one unless
// they fill a good part of it, and strs is cleared up to its length:
// add only appends, so nothing past it was ever set since the last clear.
func (t *strTable) empty() {
	t.emptyIDs()
	clear(t.strs)
	t.strs = t.strs[:0]
	t.recent = [recentSets][2]interned{}
}

// Str returns the string s names in the run's ledger.
func (r *Result) Str(s Str) string { return r.Ledger.Str(s) }

// emptyIDs empties t's map at the cost of t's strings (empty).
func (t *strTable) emptyIDs() {
	if len(t.strs) < cap(t.strs)/4 {
		for _, s := range t.strs {
			delete(t.ids, s)
		}
	} else {
		clear(t.ids)
	}
}

// detach returns t's map emptied and leaves t without one, for a Runner
// whose Result is handed over (Runner.handOver) to intern its next run's
// strings in: the map is read only by Intern, which rebuilds it for a
// Result whose ledger is interned in later, while the Result's records
// read strs alone. A run of a thousand clients or subscriptions made a
// map of four or five thousand strings (about 200 KB) every run.
func (t *strTable) detach() map[string]Str {
	t.emptyIDs()
	m := t.ids
	t.ids = nil
	return m
}
