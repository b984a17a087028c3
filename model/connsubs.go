package model

import "iter"

// connSubs is nc.subs: a connection's subscriptions, in subscription
// order (the order a reconnect re-sends them and a drain snapshots them).
//
// A removal leaves a hole instead of shifting the later subscriptions
// down: a connection drain removes its n subscriptions one by one, and the
// shifts moved n²/2 pointers, each through the collector's write barrier
// while it marked (a fifth of Scale/subs=1k's CPU). The holes are
// squeezed out once they are half of the list, so a walk costs at most
// twice the live subscriptions and the list at most twice their memory.
type connSubs struct {
	list []*Sub // nil where a subscription was removed; s.at is s's index
	n    int    // subscriptions in list
}

// len is the number of subscriptions, len(nc.subs).
func (l *connSubs) len() int { return l.n }

// add appends s.
func (l *connSubs) add(s *Sub) {
	s.at = len(l.list)
	l.list = append(l.list, s)
	l.n++
}

// remove takes s, which is in the list, out of it.
func (l *connSubs) remove(s *Sub) {
	l.list[s.at] = nil
	l.n--
	if l.n < len(l.list)/2 {
		l.compact()
	}
}

// compact squeezes out the holes, keeping the order.
func (l *connSubs) compact() {
	kept := l.list[:0]
	for _, s := range l.list {
		if s != nil {
			s.at = len(kept)
			kept = append(kept, s)
		}
	}
	clear(l.list[len(kept):]) // keeps no removed subscription alive
	l.list = kept
}

// all yields the subscriptions in order. The loop body must not remove
// one (a compaction would move those not yet yielded); none does: the
// close detaches the list before it walks it.
func (l *connSubs) all() iter.Seq[*Sub] {
	return func(yield func(*Sub) bool) {
		for _, s := range l.list {
			if s != nil && !yield(s) {
				return
			}
		}
	}
}

// detach returns the list and leaves l empty, for the close, which walks
// the subscriptions it removed.
func (l *connSubs) detach() connSubs {
	d := *l
	*l = connSubs{}
	return d
}

// emptied returns l with no subscriptions and its array kept, for a
// Runner's next run (see emptied).
func (l connSubs) emptied() connSubs { return connSubs{list: emptied(l.list)} }

// truncated returns l with no subscriptions and its array kept, zeroed
// up to its length: a removal leaves nil and a compaction clears what it
// frees, so the array is zero past its length (see truncated).
func (l connSubs) truncated() connSubs { return connSubs{list: truncated(l.list)} }
