package model

import (
	"math"
	"reflect"
	"testing"
)

// TestLedgerBudgetKeepsMessageIDsInInt32: Delivery.Msg is an int32, which
// only the record budget keeps a run's message IDs within. Catches
// ledgerBudget handing back a budget of none (0) or a max_records above
// the cap, as a run given limits.max_records past 2^31 in code would need.
func TestLedgerBudgetKeepsMessageIDsInInt32(t *testing.T) {
	for _, c := range []struct{ max, want uint64 }{
		{0, MaxLedgerRecords},
		{5, 5},
		{MaxLedgerRecords, MaxLedgerRecords},
		{1 << 40, MaxLedgerRecords},
	} {
		if got := ledgerBudget(c.max); got != c.want {
			t.Errorf("ledgerBudget(%d) = %d, want %d", c.max, got, c.want)
		}
	}
	if MaxLedgerRecords > (math.MaxInt32+1)/2 {
		t.Errorf("MaxLedgerRecords = %d leaves no room below 2^31 for the records an event makes past the budget", MaxLedgerRecords)
	}
}

// TestFrameAndPubMsgStayInRegisters: a frame and a pubMsg must be types the
// compiler keeps in registers (SSA-able): a struct of at most four fields,
// each a scalar or such a struct, of at most four words in all
// (cmd/compile's ssa.CanSSA). A frame of five fields was built in memory
// and copied with 16-byte loads that the store buffer cannot forward from
// the narrower stores of its fields: a stall on every control frame a
// client or server wrote (frameRefs); a pubMsg of five, a stall a publish
// site (pubStrs). Catches a field added to either, or frameRefs or
// pubStrs flattened back into it (tried: a fifth field, an int32, in each).
func TestFrameAndPubMsgStayInRegisters(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[frame](), reflect.TypeFor[pubMsg]()} {
		if !registerable(typ) {
			t.Errorf("%v (%d fields, %d bytes) is not a type the compiler keeps in registers: at most 4 fields and 32 bytes", typ, typ.NumField(), typ.Size())
		}
	}
}

// registerable is cmd/compile's rule for a type it can keep in registers,
// for the kinds a frame may hold.
func registerable(typ reflect.Type) bool {
	if typ.Size() > 4*8 {
		return false
	}
	switch typ.Kind() {
	case reflect.Bool, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		return true
	case reflect.Struct:
		if typ.NumField() > 4 {
			return false
		}
		for i := range typ.NumField() {
			if !registerable(typ.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}
