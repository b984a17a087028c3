package model

// sublist indexes the server's subscriptions by subject, as nats-server's
// sublist does, so that routing a message costs a lookup instead of a
// scan of every subscription: with 20,000 clients on subjects of their own
// the scan made a run take 15 s.
//
// Subscriptions on literal subjects are kept per subject, by the subject's
// id in the run's ledger; those with wildcards in one list. Each list is
// in subscription order, and a match returns its subscriptions in that
// order (the order a single list of all subscriptions had), merging the
// two by the subscriptions' sequence numbers. Only lookups reach the
// index, never iteration, so the order of routing does not depend on it.
//
// A list returned by match is a snapshot: a routing that a stalled delivery
// keeps (routing.matches) must not see later changes, so removal copies a
// list instead of shifting it in place (appending never disturbs what an
// earlier snapshot holds).
type sublist struct {
	seq uint64 // sequence number of the next subscription
	// literal holds the subscriptions on each subject without wildcards,
	// at the subject's id in strs, the run's ledger (ids are small
	// consecutive numbers), which add interns: a publish interns its
	// subject anyway, and routing finds the list by the message's id
	// (matchID). A map by subject hashed it five times a subscription
	// (add, route, remove), a tenth of a thousand-subscription run.
	// Entries past its length are empty (emptied).
	strs    *Ledger
	literal [][]*serverSub
	wild    []*serverSub // subscriptions whose subject has wildcards
	// ones holds the lists of literal subjects with one subscription, each
	// a one-element window of it with no room to grow (add), so that a
	// thousand subscriptions on subjects of their own are not a thousand
	// allocations: appending to a window copies it, as appending to a
	// list of its own whose array is full does, so the snapshot rule
	// holds. newServer hands the array on to the Server's next run.
	ones []*serverSub
	// merged caches the matches of subjects that wildcard subscriptions
	// match, which a lookup cannot return without merging; it is cleared
	// whenever the subscriptions change (nats-server keeps a similar
	// cache).
	merged map[Str][]*serverSub
	// reorder, when set (Config.Races), redraws the order of each match
	// list as it is cached (World.drawFanoutOrder): every match is then a
	// cached copy, so the draw never disturbs the index's own lists.
	reorder func([]*serverSub)
	// byID caches match by the subject's id in the run's ledger (matchID),
	// so that routing a message costs an array index instead of hashing
	// its subject: direct-mapped, by the id's low bits, held in the
	// sublist itself so that it costs no allocation. gen counts the
	// changes (every add and remove, where merged is cleared); an entry is
	// valid while its stamp is gen+1, so that the zero entry never is. Ids
	// are the run's: a sublist serves one run (newServer), and one that
	// served another must be zeroed, not only emptied.
	byID [matchSlots]cachedMatch
	gen  uint64
}

// matchSlots is the size of sublist.byID, a power of two: a run publishes
// on a few subjects, whose ids are consecutive small numbers, so eight
// slots hold them all apart.
const matchSlots = 1 << 3

// cachedMatch is the match list of the subject with id, stamped with the
// sublist's gen+1 when it was made.
type cachedMatch struct {
	id    Str
	stamp uint64
	list  []*serverSub
}

// isWild reports whether a subscription subject contains a wildcard token.
// One pass over the bytes, inlined: strings.ContainsAny builds a set for
// its two bytes at every call, and two strings.IndexByte calls cost ~74
// instructions for a subject of a few bytes, most of them the calls into
// the vector search, which pays only past a few dozen bytes. A run checks
// each subscription's subject at least once (presize).
func isWild(subject string) bool {
	for i := 0; i < len(subject); i++ {
		if c := subject[i]; c == '*' || c == '>' {
			return true
		}
	}
	return false
}

// emptied returns the literal index emptied for a run of a Runner's
// next Server (newServer): its entries hold the last run's ids, which
// name other strings in the next run's ledger.
func (l *sublist) emptied() [][]*serverSub {
	clear(l.literal)
	return l.literal[:0]
}

// exact returns the subscriptions on the literal subject with id.
func (l *sublist) exact(id Str) []*serverSub {
	if int(id) < len(l.literal) {
		return l.literal[id]
	}
	return nil
}

// add inserts ss after every subscription added before it; wild is
// isWild of its subject, which the caller may know without scanning it
// (processSub: Sub.literal).
func (l *sublist) add(ss *serverSub, wild bool) {
	ss.seq = l.seq
	l.seq++
	if ss.wild = wild; wild {
		l.wild = append(l.wild, ss)
		l.changed()
		return
	}
	id := ss.subjectID
	if id == 0 { // a route's entry: its subject is not interned yet
		id = l.strs.Intern(ss.subject)
		ss.subjectID = id
	}
	extendTo(&l.literal, int(id)+1)
	list := l.literal[id]
	if len(list) == 0 {
		n := len(l.ones)
		l.ones = append(l.ones, ss)
		list = l.ones[n : n+1 : n+1]
	} else {
		list = append(list, ss)
	}
	l.literal[id] = list
	l.changed()
}

// changed drops every cached match: the subscriptions changed. merged is
// cleared only when it holds something: it is filled only while wildcard
// subscriptions or a reorder exist, and clear of an empty map is still a
// call into the runtime (mapclear), ~22 instructions, which every add and
// remove paid (Scale/subs=1k: two thousand a run). TestSublistMatchesAScan
// catches a merged cache left stale.
func (l *sublist) changed() {
	if len(l.merged) > 0 {
		clear(l.merged)
	}
	l.gen++
}

// remove takes ss out of the index; removing one that is not in it does
// nothing.
func (l *sublist) remove(ss *serverSub) {
	if ss.wild {
		l.wild = without(l.wild, ss)
	} else if list := l.exact(ss.subjectID); len(list) > 0 {
		if list = without(list, ss); len(list) == 0 {
			list = nil
		}
		l.literal[ss.subjectID] = list
	}
	l.changed()
}

// without returns list without ss, in a new array when ss was in it, so
// that snapshots of list stay as they were; nil when ss was all of it,
// the usual case of a subject of its own (a drain of a thousand such
// subscriptions made and filled an empty array for each).
func without(list []*serverSub, ss *serverSub) []*serverSub {
	if len(list) == 1 && list[0] == ss {
		return nil
	}
	for i, x := range list {
		if x == ss {
			out := make([]*serverSub, 0, len(list)-1)
			return append(append(out, list[:i]...), list[i+1:]...)
		}
	}
	return list
}

// same returns the subscriptions with exactly ss's subject pattern (and
// maybe others), in subscription order, as a snapshot.
func (l *sublist) same(ss *serverSub) []*serverSub {
	if ss.wild {
		return l.wild
	}
	return l.exact(ss.subjectID)
}

// matchID is match of the literal publish subject interned in the run's
// ledger as id, cached by id until the subscriptions change. It returns
// what match would, and skips match only where match would return the
// list it cached itself at this generation (merged) or look the literal
// index up, neither of which draws: a run's draws (reorder) are the same
// with it.
//
// Without wildcard subscriptions or a reorder, match is the literal
// index's list, which matchID returns as match does, without the cache:
// filling a slot for every subject missed it where a run publishes on
// more subjects than the cache has slots (Scale/subs=1k: a thousand, each
// a pointer written through the write barrier), and the index costs no
// more than a slot that hits.
func (l *sublist) matchID(id Str) []*serverSub {
	if len(l.wild) == 0 && l.reorder == nil {
		return l.exact(id)
	}
	e := &l.byID[id&(matchSlots-1)]
	if e.id == id && e.stamp == l.gen+1 {
		return e.list
	}
	list := l.match(id)
	*e = cachedMatch{id: id, stamp: l.gen + 1, list: list}
	return list
}

// match returns the subscriptions matching the literal publish subject
// interned as id, in subscription order, as a snapshot that the caller
// must not modify.
func (l *sublist) match(id Str) []*serverSub {
	exact := l.exact(id)
	if len(l.wild) == 0 && l.reorder == nil {
		return exact
	}
	if list, ok := l.merged[id]; ok {
		return list
	}
	subject := l.strs.Str(id)
	var list []*serverSub
	i := 0
	for _, ss := range l.wild {
		if !subjectMatches(ss.subject, subject) {
			continue
		}
		for ; i < len(exact) && exact[i].seq < ss.seq; i++ {
			list = append(list, exact[i])
		}
		list = append(list, ss)
	}
	list = append(list, exact[i:]...)
	if l.reorder != nil {
		l.reorder(list)
	}
	if l.merged == nil {
		l.merged = map[Str][]*serverSub{}
	}
	l.merged[id] = list
	return list
}
