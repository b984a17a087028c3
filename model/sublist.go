package model

import "strings"

// sublist indexes the server's subscriptions by subject, as nats-server's
// sublist does, so that routing a message costs a map lookup instead of a
// scan of every subscription: with 20,000 clients on subjects of their own
// the scan made a run take 15 s.
//
// Subscriptions on literal subjects are kept per subject; those with
// wildcards in one list. Each list is in subscription order, and a match
// returns its subscriptions in that order (the order a single list of all
// subscriptions had), merging the two by the subscriptions' sequence
// numbers. Only lookups reach the maps, never iteration, so the order of
// routing does not depend on map order.
//
// A list returned by match is a snapshot: a routing that a stalled delivery
// keeps (routing.matches) must not see later changes, so removal copies a
// list instead of shifting it in place (appending never disturbs what an
// earlier snapshot holds).
type sublist struct {
	seq     uint64                  // sequence number of the next subscription
	literal map[string][]*serverSub // by subject, for subjects without wildcards
	wild    []*serverSub            // subscriptions whose subject has wildcards
	// merged caches the matches of subjects that wildcard subscriptions
	// match, which a lookup cannot return without merging; it is cleared
	// whenever the subscriptions change (nats-server keeps a similar
	// cache).
	merged map[string][]*serverSub
	// reorder, when set (Config.Races), redraws the order of each match
	// list as it is cached (World.drawFanoutOrder): every match is then a
	// cached copy, so the draw never disturbs the index's own lists.
	reorder func([]*serverSub)
}

// isWild reports whether a subscription subject contains a wildcard token.
// Two byte scans: strings.ContainsAny builds a set for its two bytes at
// every call, and a run checks each subscription's subject when it comes
// and goes.
func isWild(subject string) bool {
	return strings.IndexByte(subject, '*') >= 0 || strings.IndexByte(subject, '>') >= 0
}

// add inserts ss after every subscription added before it.
func (l *sublist) add(ss *serverSub) {
	ss.seq = l.seq
	l.seq++
	if isWild(ss.subject) {
		l.wild = append(l.wild, ss)
		clear(l.merged)
		return
	}
	if l.literal == nil {
		l.literal = map[string][]*serverSub{}
	}
	l.literal[ss.subject] = append(l.literal[ss.subject], ss)
	clear(l.merged)
}

// remove takes ss out of the index; removing one that is not in it does
// nothing.
func (l *sublist) remove(ss *serverSub) {
	if isWild(ss.subject) {
		l.wild = without(l.wild, ss)
	} else if list := without(l.literal[ss.subject], ss); len(list) > 0 {
		l.literal[ss.subject] = list
	} else {
		delete(l.literal, ss.subject)
	}
	clear(l.merged)
}

// without returns list without ss, in a new array when ss was in it, so
// that snapshots of list stay as they were.
func without(list []*serverSub, ss *serverSub) []*serverSub {
	for i, x := range list {
		if x == ss {
			out := make([]*serverSub, 0, len(list)-1)
			return append(append(out, list[:i]...), list[i+1:]...)
		}
	}
	return list
}

// same returns the subscriptions with exactly subject pattern (and maybe
// others), in subscription order, as a snapshot.
func (l *sublist) same(pattern string) []*serverSub {
	if isWild(pattern) {
		return l.wild
	}
	return l.literal[pattern]
}

// match returns the subscriptions matching a literal publish subject, in
// subscription order, as a snapshot that the caller must not modify.
func (l *sublist) match(subject string) []*serverSub {
	exact := l.literal[subject]
	if len(l.wild) == 0 && l.reorder == nil {
		return exact
	}
	if list, ok := l.merged[subject]; ok {
		return list
	}
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
		l.merged = map[string][]*serverSub{}
	}
	l.merged[subject] = list
	return list
}
