package props

import (
	"slices"
	"testing"

	"github.com/drainsim/drainsim/model"
)

// TestQueueGroupsRefilled: queueGroups yields each queue group of two
// members or more once, its members in subscription order, in one list it
// refills for the next group, and stops when the caller's loop does
// (someQueueGroup). Catches a list appended to without being emptied
// first (the second group would hold the first's members) and a yield
// after the loop stopped (which panics).
func TestQueueGroupsRefilled(t *testing.T) {
	l := &model.Ledger{}
	a, b, c, q := l.Intern("a"), l.Intern("b"), l.Intern("c"), l.Intern("q")
	subs := []*model.SubRecord{
		{ID: "s1", Subject: a, Queue: q},
		{ID: "s2", Subject: b, Queue: q},
		{ID: "lone", Subject: c, Queue: q},
		{ID: "s3", Subject: a, Queue: q},
		{ID: "plain", Subject: a},
		{ID: "s4", Subject: b, Queue: q},
		{ID: "s5", Subject: a, Queue: q},
	}
	r := &model.Result{Ledger: l, Subs: subs}
	var got [][]string
	for g := range queueGroups(r) {
		var ids []string
		for _, s := range g {
			ids = append(ids, s.ID)
		}
		got = append(got, ids)
	}
	want := [][]string{{"s1", "s3", "s5"}, {"s2", "s4"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("queueGroups yielded %v, want %v", got, want)
	}
	if !someQueueGroup(r) {
		t.Error("someQueueGroup = false with two queue groups")
	}
}
