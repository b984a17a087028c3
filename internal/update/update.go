// Package update holds the one -update test flag of the module. Every test
// package imports it, so that
//
//	go test ./... -update
//
// regenerates everything the tests compare against: the golden outputs of
// drainsim run, the generated blocks of README.md and docs/ (between
// "<!-- BEGIN name -->" and "<!-- END name -->" lines), the counterexamples
// of examples/matrix, the sweep charts of examples/sweeps and the
// generated conformance corpus. A test package that does not import it
// would make that command fail with "flag provided but not defined:
// -update"; TestEveryTestPackageImportsUpdate keeps them all in.
//
// Only tests import this package: its flag must never reach the drainsim
// command.
package update

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

var flagUpdate = flag.Bool("update", false, "rewrite golden files, generated README/docs blocks, examples/matrix, the sweep charts and the generated conformance corpus instead of comparing with them")

// Enabled reports whether the test binary was given -update.
func Enabled() bool { return *flagUpdate }

// Section returns the text of file between the lines "<!-- BEGIN name -->"
// and "<!-- END name -->".
func Section(file, name string) (string, error) {
	_, section, _, err := splitSection(file, name)
	return section, err
}

// WriteSection replaces the text of file between the lines
// "<!-- BEGIN name -->" and "<!-- END name -->" with text.
func WriteSection(file, name, text string) error {
	head, _, tail, err := splitSection(file, name)
	if err != nil {
		return err
	}
	return os.WriteFile(file, []byte(head+text+tail), 0o644)
}

// splitSection cuts file into what comes up to and including the BEGIN
// line of name, the section, and the rest from its END line on.
func splitSection(file, name string) (head, section, tail string, err error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", "", "", fmt.Errorf("generated section %q: %w", name, err)
	}
	begin, end := "<!-- BEGIN "+name+" -->\n", "<!-- END "+name+" -->"
	before, rest, ok := strings.Cut(string(data), begin)
	if !ok {
		return "", "", "", fmt.Errorf("%s: no line %q marks the start of generated section %q", file, strings.TrimSpace(begin), name)
	}
	section, after, ok := strings.Cut(rest, end)
	if !ok {
		return "", "", "", fmt.Errorf("%s: no line %q closes generated section %q", file, end, name)
	}
	return before + begin, section, end + after, nil
}
