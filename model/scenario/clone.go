package scenario

import "reflect"

// Clone returns a deep copy of s: no slice or pointer of the copy is
// shared with s, so either can be edited without the other seeing it
// (the distributions' measured tables, sim.Table, are copied too). For
// a scenario that is itself the result of a round trip through the file
// format, Parse(f, x.Marshal()), it returns what another round trip,
// Parse(s.File, s.Marshal()), returns — every field, the Line fields
// too, comes out the same (TestCloneIsRoundTrip) — at a fraction of the
// cost: a shrinker copies its current scenario once per candidate.
func (s *Scenario) Clone() *Scenario {
	c := new(Scenario)
	deepCopy(reflect.ValueOf(c).Elem(), reflect.ValueOf(s).Elem())
	return c
}

// deepCopy stores in dst (settable, of src's type) a copy of src that
// shares no pointer or slice array with it. Nil pointers and slices stay
// nil and a slice's copy is as long as it (its capacity may be less). A
// Scenario holds only structs, pointers, slices and plain values (strings
// are immutable, so sharing them is copying); TestCloneKinds fails when a
// map, interface, function or channel is added, which this would share.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if !src.IsNil() {
			p := reflect.New(src.Type().Elem())
			deepCopy(p.Elem(), src.Elem())
			dst.Set(p)
		}
	case reflect.Slice:
		if !src.IsNil() {
			s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
			for i := range src.Len() {
				deepCopy(s.Index(i), src.Index(i))
			}
			dst.Set(s)
		}
	case reflect.Struct:
		dst.Set(src)
		for i := range src.NumField() {
			// Only the exported fields of dst can be set (CanSet asks
			// that without building a reflect.StructField, which a
			// shrink's thousands of copies would pay for).
			if f := dst.Field(i); f.CanSet() {
				deepCopy(f, src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}
