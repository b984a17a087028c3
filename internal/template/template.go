// Package template fills the placeholders of the hostile-input tests'
// templates: a valid file in which every field under test is written
// {{name}}, so that one field at a time can be given a bad value while the
// others keep their good ones.
package template

import (
	"regexp"
	"testing"
)

var placeholder = regexp.MustCompile(`\{\{([^}]+)\}\}`)

// Fill returns tmpl with placeholder field set to value and every other
// placeholder to good(name); t fails when good knows no such name.
func Fill(t testing.TB, tmpl, field, value string, good func(name string) (string, bool)) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-2]
		if name == field {
			return value
		}
		if v, ok := good(name); ok {
			return v
		}
		t.Fatalf("no field %s", name)
		return ""
	})
}
