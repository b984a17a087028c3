package model

import (
	"reflect"
	"testing"

	"github.com/drainsim/drainsim/sim"
)

// TestInitDeliveryWritesEveryField: initDelivery writes each field of a new
// record rather than zeroing it first, so a record it reuses (a Runner's
// ledger keeps its array from run to run) must come out as a fresh one
// whatever it held. Every field is set to a value other than its zero
// first; a field added to Delivery and not written by initDelivery keeps
// it and fails the comparison (tried: dropping the AfterUnsub write).
func TestInitDeliveryWritesEveryField(t *testing.T) {
	var d Delivery
	v := reflect.ValueOf(&d).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int32, reflect.Int64:
			f.SetInt(7)
		case reflect.Uint8:
			f.SetUint(7)
		default:
			t.Fatalf("Delivery.%s is a %s, which the test does not set", v.Type().Field(i).Name, f.Kind())
		}
	}
	initDelivery(&d, 3, 2, sim.Time(5))
	want := Delivery{Msg: 3, Sub: 2, CommittedAt: 5,
		ArrivedAt: NoTime, StartedAt: NoTime, EndedAt: NoTime, DroppedAt: NoTime, Fate: DlvPending}
	if d != want {
		t.Errorf("initDelivery wrote %+v, want %+v", d, want)
	}
}
