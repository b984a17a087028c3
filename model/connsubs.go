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
// twice the live subscriptions and the list at most twice their memory:
// not at the removal that makes them half, but at the next add or walk,
// which the holes would cost (the list grows only by an add). A drain
// removes every subscription and, between its removals, neither adds nor
// walks: squeezing at each halving moved n pointers (and each moved
// subscription's at), cleared n slots and scanned 2n, for a list the last
// removal leaves all holes, emptied at once (Scale/subs=1k: 2.4 % of its
// CPU).
type connSubs struct {
	list []*Sub // nil where a subscription was removed; s.at is s's index
	n    int    // subscriptions in list
}

// len is the number of subscriptions, len(nc.subs).
func (l *connSubs) len() int { return l.n }

// add appends s, squeezing out the holes first when they are more than
// half of the list.
func (l *connSubs) add(s *Sub) {
	l.squeeze()
	s.at = len(l.list)
	l.list = append(l.list, s)
	l.n++
}

// remove takes s, which is in the list, out of it. The last one leaves
// only holes, each nil: the list is emptied without a walk.
func (l *connSubs) remove(s *Sub) {
	l.list[s.at] = nil
	if l.n--; l.n == 0 {
		l.list = l.list[:0]
	}
}

// squeeze compacts the list when its holes are more than half of it.
func (l *connSubs) squeeze() {
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

// all yields the subscriptions in order, squeezing out the holes first
// when they are more than half of the list. The loop body must not add
// one (a compaction would move those not yet yielded); none does.
func (l *connSubs) all() iter.Seq[*Sub] {
	return func(yield func(*Sub) bool) {
		l.squeeze()
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
