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
	// ids finds a string's id; only Intern and interned read it. It may
	// hold earlier runs' entries (strTable.empty leaves them): an entry
	// is this run's only when strs holds its string at its id (current),
	// and an entry whose id is the next one to give is taken as it is
	// (Intern). A run interning the strings of the run before, in the same
	// order (a Runner repeating a scenario, Scale/subs=1k's thousand
	// subjects), so looks them up instead of inserting each. A plain
	// Run's Result leaves the map to the Runner's next run
	// (strTable.detach), and Intern rebuilds it from strs when it is nil.
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
	// prev is the strings of the table's previous run, by id - 1, and
	// follows reports that this run has interned prev's first strings in
	// prev's order and nothing else, and that ids still holds each of
	// prev's strings at its id (empty, detach). Then a string new to the
	// run that is prev's next one takes the next id without the map: the
	// map holds it there already, and prev held it once, so no earlier
	// id of this run is it. A Runner repeating a scenario (Scale/subs=1k's
	// thousand subjects and thousand action sources, the benchmarks, the
	// matrix's reruns) so interns most strings by one comparison with
	// the string at the same id, where the map hashed each and looked it
	// up. Any other new string ends it (lookup). ownPrev reports that
	// prev's array is the table's own, which empty clears and reuses: the
	// strings of a Result handed over (detach) are its caller's.
	prev             []string
	follows, ownPrev bool
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
	if n := len(t.strs); t.follows && n < len(t.prev) && equal(t.prev[n], s) {
		// prev's next string (strTable.prev), not cached in recent: a
		// string taken in prev's order is mostly one of a thousand
		// subjects or sources, each interned once, and the cache's two
		// pointer writes went through the write barrier while the
		// collector marked (Scale/subs=1k).
		t.strs = append(t.strs, s)
		return Str(n + 1)
	}
	id := t.lookup(s)
	set[1], set[0] = set[0], interned{s, id}
	return id
}

// lookup returns s's id through the map, adding s if it is new: a string
// added this way is not prev's next one, so the run no longer follows
// prev.
func (t *strTable) lookup(s string) Str {
	if t.ids == nil {
		t.index()
	}
	id, ok := t.ids[s]
	switch {
	case ok && t.current(s, id):
		return id
	case ok && int(id) == len(t.strs)+1: // an earlier run's, the next id: taken
		t.strs = append(t.strs, s)
	default:
		id = t.add(s)
	}
	t.follows = false
	return id
}

// current reports whether id, which t's map gives s, is this run's: the
// map may still hold the ids earlier runs gave (strTable.empty).
func (t *strTable) current(s string, id Str) bool {
	return id > 0 && int(id) <= len(t.strs) && t.strs[id-1] == s
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
	return id, ok && t.current(s, id)
}

// same reports whether a and b are one string: the same bytes at the same
// address. The recent cache compares by identity, not contents: a string of
// the same length in the set's other way would cost a byte comparison, and
// a copy of a string at another address is found in the map.
func same(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// equal reports whether a and b hold the same bytes, testing first
// whether they are one string (same), without a call: a == b calls the
// runtime's byte comparison whenever the lengths match, which finds one
// string equal at once but costs the call and the registers it saves. The
// set-up's comparisons (a subscription's client and subject against the
// last client and the previous run's subjects and strings) mostly compare
// a scenario's string with itself: a thousand subscriptions' five were
// 1.4 % of Scale/subs=1k's instructions.
func equal(a, b string) bool {
	return same(a, b) || a == b
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
// The map keeps this run's entries: Intern tells them from the next
// run's (current), and a next run that interns the same strings in the
// same order finds each at the id it gives next, a lookup where an empty
// map took an insert (a thousand a run of Scale/subs=1k; deleting them
// here cost as much again). strs is cleared up to its length: add only
// appends, so nothing past it was ever set since the last clear.
//
// The run's strings become prev, for the next run to follow (the map
// holds them at their ids unless trim cleared it), and the array of the
// run before is cleared for the next run's strings: two arrays take turns.
func (t *strTable) empty() {
	old := t.prev
	if !t.ownPrev {
		old = nil
	}
	t.prev, t.follows, t.ownPrev = t.strs, !t.trim() && t.ids != nil, true
	clear(old)
	t.strs = old[:0]
	t.recent = [recentSets][2]interned{}
}

// Str returns the string s names in the run's ledger.
func (r *Result) Str(s Str) string { return r.Ledger.Str(s) }

// trim clears t's map when the strings of earlier runs outnumber this
// run's by far (staleMax), so that a Runner going through many scenarios'
// strings (check's generated ones) does not keep them all: clearing a map
// costs its capacity, so it is done seldom, not after every run. It
// reports whether it cleared the map.
func (t *strTable) trim() bool {
	if len(t.ids) > staleMax(len(t.strs)) {
		clear(t.ids)
		return true
	}
	return false
}

// staleMax is the most entries strTable.trim leaves in the map of a run
// that interned n strings.
func staleMax(n int) int { return 4*n + 1024 }

// detach returns t's map (trimmed, its entries to be told apart by
// current) and leaves t without one, for a Runner whose Result is handed
// over (Runner.handOver) to intern its next run's strings in: the map is
// read only by Intern, which rebuilds it for a Result whose ledger is
// interned in later, while the Result's records read strs alone. A run of
// a thousand clients or subscriptions made a map of four or five thousand
// strings (about 200 KB) every run.
//
// It returns the run's strings too, for the next run's table to follow
// (strTable.prev), unless trim cleared the map or there was none: the
// Runner only reads them, and a later Intern into the handed-over ledger
// appends past their length.
func (t *strTable) detach() (map[string]Str, []string) {
	cleared := t.trim()
	m := t.ids
	t.ids = nil
	if cleared || m == nil {
		return m, nil
	}
	return m, t.strs
}
