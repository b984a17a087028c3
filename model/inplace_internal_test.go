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

// TestBurstCallWritesAFreshFrame: burstCall appends a publish's PUB frame,
// written field by field into the buffer, an array that a Runner's
// connection keeps from run to run, whose slots past its length still
// hold earlier frames. The frame must be the PUB of the message and
// nothing else (tried: appending by reslicing and writing only op and msg
// leaves the old frame's sid, arg and ref).
func TestBurstCallWritesAFreshFrame(t *testing.T) {
	old := []frame{{op: opMsg, sid: 3, arg: 64, frameRefs: frameRefs{msg: 9, ref: 5}}, {op: opSub, sid: 4, arg: 1, frameRefs: frameRefs{msg: 2, ref: 1}}}
	c := &Conn{out: old[:0]}
	w := &World{sim: sim.New(sim.Budget{})}
	if w.burstCall(c, 7) {
		t.Fatal("burstCall reported a stop without a record budget")
	}
	if want := []frame{{op: opPub, frameRefs: frameRefs{msg: 7}}}; !reflect.DeepEqual(c.out, want) {
		t.Errorf("c.out = %+v, want %+v", c.out, want)
	}
}
