package scenario

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/sim"
)

// Decoder offers the strict YAML decoding of scenario files to drainsim's
// other file formats (the sweep files of package explore), so that they
// reject the same mistakes with the same messages: file, line, field, the
// value found and what was wanted. Every error it returns is an *Error.
type Decoder struct{ d *decoder }

// NewDecoder returns a Decoder whose errors name file.
func NewDecoder(file string) *Decoder {
	return &Decoder{d: &decoder{file: file, lines: make(map[string]int)}}
}

// Field is one key: value pair of a YAML mapping.
type Field struct {
	Name  string     // the key
	Path  string     // full path for messages, e.g. "axes.handler.values"
	Line  int        // line of the key
	Value *yaml.Node // the value
}

// Root returns the root node of the single YAML document in data.
func (dec *Decoder) Root(data []byte) (*yaml.Node, error) { return parseYAML(dec.d.file, data) }

// Errorf returns an *Error for the field at path on line.
func (dec *Decoder) Errorf(line int, path, format string, args ...any) error {
	return dec.d.errorf(line, path, format, args...)
}

// Wrap converts err, found in the value at path, into an *Error.
func (dec *Decoder) Wrap(line int, path string, err error) error { return dec.d.wrap(line, path, err) }

// TypeError reports that n, at path, is not what was wanted ("a list").
func (dec *Decoder) TypeError(n *yaml.Node, path, want string) error {
	return dec.d.typeError(n, path, want)
}

// Mapping returns the fields of the mapping n in order. Unknown, repeated
// or non-scalar keys and aliases are errors; null counts as empty.
func (dec *Decoder) Mapping(n *yaml.Node, path string, known ...string) ([]Field, error) {
	fields, err := dec.d.mapping(n, path, known...)
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = Field{Name: f.name, Path: f.path, Line: f.line, Value: f.val}
	}
	return out, err
}

// Require reports the first of names that is missing from fields, the
// fields of the mapping n at path.
func (dec *Decoder) Require(n *yaml.Node, path string, fields []Field, names ...string) error {
	fs := make([]field, len(fields))
	for i, f := range fields {
		fs[i] = field{name: f.Name, path: f.Path, line: f.Line, val: f.Value}
	}
	return dec.d.require(n, path, fs, names...)
}

// Sequence returns the items of the list n; null counts as an empty list.
func (dec *Decoder) Sequence(n *yaml.Node, path string) ([]*yaml.Node, error) {
	return dec.d.sequence(n, path)
}

// Scalar returns the text of n, which must be a scalar with one of tags
// ("!!str", "!!int", ...); want describes the expected value for messages.
func (dec *Decoder) Scalar(n *yaml.Node, path, want string, tags ...string) (string, error) {
	return dec.d.scalar(n, path, want, tags...)
}

// Str decodes a string; plain numbers are taken as written.
func (dec *Decoder) Str(n *yaml.Node, path string) (string, error) { return dec.d.str(n, path) }

// Name decodes a non-empty string.
func (dec *Decoder) Name(n *yaml.Node, path string) (string, error) { return dec.d.name(n, path) }

// Between decodes an integer from lo to hi inclusive; an error names the
// allowed range.
func (dec *Decoder) Between(n *yaml.Node, path string, lo, hi int) (int, error) {
	return dec.d.between(n, path, lo, hi)
}

// PendingLimit decodes a pending-messages limit: any integer but 0 up to
// MaxCount in magnitude, a negative one meaning no limit.
func (dec *Decoder) PendingLimit(n *yaml.Node, path string) (int, error) {
	p, err := dec.d.pendingLimit(n, path)
	return *p, err
}

// Size decodes a byte count such as 1024 or 64KiB, at most MaxBytes in
// magnitude; a limit may be negative (no limit) but not 0.
func (dec *Decoder) Size(n *yaml.Node, path string, limit bool) (int, error) {
	return dec.d.size(n, path, limit)
}

// Duration decodes a Go duration such as 250ms, from 0 to MaxDuration.
func (dec *Decoder) Duration(n *yaml.Node, path string) (time.Duration, error) {
	return dec.d.duration(n, path)
}

// Dist decodes a distribution such as 200ms or uniform(50ms,200ms).
func (dec *Decoder) Dist(n *yaml.Node, path string) (sim.Dist, error) { return dec.d.dist(n, path) }

// Seed decodes a non-negative 64-bit integer.
func (dec *Decoder) Seed(n *yaml.Node, path string) (uint64, error) { return dec.d.seed(n, path) }

// Join appends a field name to a path.
func Join(path, name string) string { return join(path, name) }

// Index appends a list index to a path.
func Index(path string, i int) string { return index(path, i) }
