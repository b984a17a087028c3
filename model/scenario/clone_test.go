package scenario

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCloneIsRoundTrip checks Clone's promise on every scenario file of
// the repository that parses: for y, the round trip of a file's scenario,
// y.Clone() equals Parse(y.File, y.Marshal()) field by field and shares
// no pointer or slice array with y. It fails when deepCopy leaves a
// pointer or slice shared (an edit of the copy would show in y: drop the
// reflect.Pointer case) or copies a field wrongly (drop a Struct field's
// deepCopy, or return s itself).
func TestCloneIsRoundTrip(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../..", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		x, err := Parse(path, data)
		if err != nil {
			return nil // a file that does not parse (a bad example, another format)
		}
		y, err := Parse(x.File, x.Marshal())
		require.NoError(t, err, path)
		want, err := Parse(y.File, y.Marshal())
		require.NoError(t, err, path)
		c := y.Clone()
		require.Equal(t, want, c, path)
		requireUnshared(t, path, reflect.ValueOf(y).Elem(), reflect.ValueOf(c).Elem())
		n++
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, n, 50, "scenario files found")
}

// requireUnshared fails when a non-nil pointer or non-empty slice of a
// (a value of a Scenario) is the same in b. Pointers to zero-size values
// (a *struct{} marker) may be the same: Go gives every zero-size
// allocation one address, and there is nothing in them to share.
func requireUnshared(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if !a.IsNil() && a.Type().Elem().Size() > 0 {
			require.NotEqual(t, a.Pointer(), b.Pointer(), "%s: %s shared", path, a.Type())
			requireUnshared(t, path, a.Elem(), b.Elem())
		}
	case reflect.Slice:
		if a.Len() > 0 {
			require.NotEqual(t, a.Pointer(), b.Pointer(), "%s: %s shared", path, a.Type())
			for i := range a.Len() {
				requireUnshared(t, path, a.Index(i), b.Index(i))
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				requireUnshared(t, path, a.Field(i), b.Field(i))
			}
		}
	}
}

// TestCloneKinds checks that a Scenario holds only what deepCopy copies:
// structs, pointers, slices and plain values, with unexported fields
// only of plain values (deepCopy copies those as they are). It fails when
// a map, interface, function or channel is added to the scenario types,
// which deepCopy would share between the copies.
func TestCloneKinds(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Map, reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
			t.Errorf("%s: a %s, which deepCopy would share", path, typ.Kind())
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(typ.Elem(), path+"[]")
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				if !f.IsExported() && f.Type.Kind() >= reflect.Array && f.Type.Kind() != reflect.String {
					t.Errorf("%s.%s: an unexported %s, which deepCopy would share", path, f.Name, f.Type.Kind())
				}
				walk(f.Type, path+"."+f.Name)
			}
		}
	}
	walk(reflect.TypeFor[Scenario](), "Scenario")
}
