package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/sim"
)

// Defaults for fields a scenario file leaves out.
const (
	DefaultProfile        = "go"
	DefaultMaxTime        = 10 * time.Minute
	DefaultMaxEvents      = 50_000_000
	DefaultLatency        = 250 * time.Microsecond
	DefaultRequestTimeout = time.Second
	DefaultFlushTimeout   = 10 * time.Second
	DefaultNextMsgTimeout = time.Second
)

// DefaultMaxRecords is the default of limits.max_records. A record (with
// its share of the trace, the event queue and the network buffers) keeps
// 350-500 bytes live, and a run's peak memory is about 2.5 times what it
// keeps live: with this default no run needs more than about 1.1 GB, the
// worst workloads measured (docs/scenario-format.md#budgets). Raise it for larger runs.
const DefaultMaxRecords = 1_000_000

// Load reads and parses the scenario file at path. Every error it returns,
// including a failure to read the file, is an *Error.
func Load(path string) (*Scenario, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// ReadFile reads the file at path, at most MaxFileSize bytes of it: a file
// (or a device such as /dev/zero) that holds more is refused after reading
// no more than that. A failure is an *Error naming the file and saying what
// went wrong ("no such file or directory").
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, readError(path, err)
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads r, named name in errors (e.g. "stdin"), as ReadFile reads a
// file: at most MaxFileSize bytes, refusing more; a failure is an *Error.
func Read(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, readError(name, err)
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("file is larger than %d bytes (%d MiB), the most a scenario or sweep file may hold", MaxFileSize, MaxFileSize>>20)}
	}
	return data, nil
}

// readError is the *Error for a failure to open or read name: what went
// wrong, without the path a *fs.PathError repeats.
func readError(name string, err error) error {
	return &Error{File: name, Msg: unwrapPath(err).Error(), Err: err}
}

// unwrapPath returns the error a *fs.PathError in err carries, without the
// operation and path it repeats, or err itself.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse parses and validates a scenario written in YAML. File names the
// source in error messages and is recorded in Scenario.File. Parsing is
// strict: unknown fields, duplicate fields, values of the wrong type and
// dangling references are all errors. Every error it returns is an *Error.
func Parse(file string, data []byte) (*Scenario, error) {
	root, err := parseYAML(file, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: file, lines: make(map[string]int)}
	s, err := d.scenario(root)
	if err != nil {
		return nil, err
	}
	if err := d.validate(s); err != nil {
		return nil, err
	}
	return s, nil
}

// parseYAML returns the root node of the single YAML document in data.
func parseYAML(file string, data []byte) (root *yaml.Node, err error) {
	if err := checkText(file, data); err != nil {
		return nil, err
	}
	defer func() {
		// The YAML library reports its own errors by panicking and
		// recovering; should anything else escape it, report that
		// instead of crashing the caller.
		if r := recover(); r != nil {
			root, err = nil, &Error{File: file, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &Error{File: file, Line: 1, Msg: "empty file: want a scenario (name:, clients:, actions:, ...)"}
		}
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		return nil, yamlError(file, err)
	default:
		return nil, &Error{File: file, Line: extra.Line, Msg: "more than one YAML document: want exactly one scenario per file"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{File: file, Line: doc.Line, Msg: "want a single YAML document"}
	}
	return doc.Content[0], nil
}

// checkText reports the first byte of data that is not valid UTF-8, or is
// a control character YAML does not allow, with its line and column; the
// YAML library would say only "invalid leading UTF-8 octet" or "control
// characters are not allowed", with no line. Text that starts with a UTF-16
// byte order mark is left to the library, which reads UTF-16.
func checkText(file string, data []byte) error {
	if bytes.HasPrefix(data, []byte{0xfe, 0xff}) || bytes.HasPrefix(data, []byte{0xff, 0xfe}) {
		return nil
	}
	for off := 0; off < len(data); {
		r, size := utf8.DecodeRune(data[off:])
		what := ""
		switch {
		case r == utf8.RuneError && size <= 1:
			what = "invalid UTF-8"
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r >= 0x7f && r <= 0x9f && r != 0x85, r == 0xfffe, r == 0xffff:
			what = "control character"
		}
		if what != "" {
			line := 1 + bytes.Count(data[:off], []byte("\n"))
			col := 1 + utf8.RuneCount(data[bytes.LastIndexByte(data[:off], '\n')+1:off])
			return &Error{File: file, Line: line, Msg: fmt.Sprintf("%s (byte 0x%02x at column %d): want UTF-8 text without control characters", what, data[off], col)}
		}
		off += size
	}
	return nil
}

// yamlError converts an error from the YAML library, which looks like
// "yaml: line 3: did not find expected key", into an *Error.
func yamlError(file string, err error) error {
	e := &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
	if rest, ok := strings.CutPrefix(e.Msg, "line "); ok {
		num, msg, ok := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); ok && err == nil && n > 0 {
			e.Line, e.Msg = n, msg
		}
	}
	e.Msg = "invalid YAML: " + e.Msg
	return e
}

// A decoder converts the YAML tree of a scenario into a Scenario, checking
// types and field-local rules as it goes.
type decoder struct {
	file  string
	lines map[string]int // line of every field seen, by path, for validate
}

func (d *decoder) errorf(line int, path, format string, args ...any) error {
	return &Error{File: d.file, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)}
}

// wrap converts err, found in the value at path, into an *Error.
func (d *decoder) wrap(line int, path string, err error) error {
	return &Error{File: d.file, Line: line, Field: path, Msg: err.Error(), Err: err}
}

// line returns the line of the field at path, or 0 if it was not seen.
func (d *decoder) line(path string) int { return d.lines[path] }

// A field is one key: value pair of a mapping.
type field struct {
	name string     // the key
	path string     // full path, e.g. "actions[2].publish.count"
	line int        // line of the key
	val  *yaml.Node // the value
}

// mapping returns the fields of the mapping n in order. It is an error for n
// not to be a mapping, or for a key to be unknown, repeated or not a plain
// name. A null value counts as an empty mapping.
func (d *decoder) mapping(n *yaml.Node, path string, known ...string) ([]field, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, d.typeError(n, path, "a mapping")
	}
	fields := make([]field, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, d.errorf(k.Line, path, "want a field name, got %s", describe(k))
		}
		p := join(path, k.Value)
		if !slices.Contains(known, k.Value) {
			// {latency: uniform(1ms,5ms)} reads as latency: "uniform(1ms"
			// followed by a field "5ms)": say so rather than blame "5ms)".
			if len(fields) > 0 && n.Style&yaml.FlowStyle != 0 {
				if prev := fields[len(fields)-1]; cutAtComma(prev.val) {
					return nil, d.errorf(prev.line, prev.path, "%q was cut short at a comma: YAML splits {...} at commas, so quote the value: \"%s,%s\"",
						prev.val.Value, prev.val.Value, k.Value)
				}
			}
			return nil, d.errorf(k.Line, p, "%s", unknownField(k.Value, known))
		}
		for _, f := range fields {
			if f.name == k.Value {
				return nil, d.errorf(k.Line, p, "duplicate field (first set on line %d)", f.line)
			}
		}
		if v.Kind == yaml.AliasNode {
			return nil, d.errorf(v.Line, p, "YAML aliases (*name) are not supported")
		}
		d.lines[p] = k.Line
		fields = append(fields, field{name: k.Value, path: p, line: k.Line, val: v})
	}
	return fields, nil
}

// require reports the first of names that is missing from fields.
func (d *decoder) require(n *yaml.Node, path string, fields []field, names ...string) error {
	for _, name := range names {
		if !slices.ContainsFunc(fields, func(f field) bool { return f.name == name }) {
			return d.errorf(n.Line, join(path, name), "missing required field")
		}
	}
	return nil
}

// sequence returns the items of the list n; null counts as an empty list.
func (d *decoder) sequence(n *yaml.Node, path string) ([]*yaml.Node, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.typeError(n, path, "a list")
	}
	for i, item := range n.Content {
		if item.Kind == yaml.AliasNode {
			return nil, d.errorf(item.Line, index(path, i), "YAML aliases (*name) are not supported")
		}
	}
	return n.Content, nil
}

func (d *decoder) typeError(n *yaml.Node, path, want string) error {
	return d.errorf(n.Line, path, "want %s, got %s", want, describe(n))
}

// scalar returns the text of n, which must be a scalar with one of tags.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) (string, error) {
	if n.Kind != yaml.ScalarNode || !slices.Contains(tags, n.ShortTag()) {
		return "", d.typeError(n, path, want)
	}
	return n.Value, nil
}

// str decodes a string. Plain numbers and dates are taken as written.
func (d *decoder) str(n *yaml.Node, path string) (string, error) {
	s, err := d.scalar(n, path, "a string", "!!str", "!!int", "!!float", "!!timestamp")
	if err != nil {
		return "", err
	}
	if !utf8.ValidString(s) {
		return "", d.errorf(n.Line, path, "string is not valid UTF-8")
	}
	return s, nil
}

// name decodes a non-empty string: a name or id.
func (d *decoder) name(n *yaml.Node, path string) (string, error) {
	s, err := d.str(n, path)
	if err == nil && s == "" {
		err = d.errorf(n.Line, path, "must not be empty")
	}
	return s, err
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, error) {
	var b bool
	if _, err := d.scalar(n, path, "true or false", "!!bool"); err != nil {
		return false, err
	}
	if err := n.Decode(&b); err != nil {
		return false, d.typeError(n, path, "true or false")
	}
	return b, nil
}

// between decodes an integer from lo to hi inclusive. An error names the
// value and the allowed range, also for an integer too large for an int.
func (d *decoder) between(n *yaml.Node, path string, lo, hi int) (int, error) {
	var i int
	// An integer too long for 64 bits is a float to YAML: read it as the
	// integer it is written as, which is out of range.
	bigInt := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && strings.ContainsAny(n.Value, "0123456789") &&
		strings.Trim(strings.TrimLeft(n.Value, "+-"), "0123456789_") == ""
	if _, err := d.scalar(n, path, "an integer", "!!int"); err != nil && !bigInt {
		return 0, err
	}
	err := n.Decode(&i)
	if bigInt {
		err = errors.New("integer out of range")
	}
	switch {
	case err != nil && strings.HasPrefix(n.Value, "-"), err == nil && i < lo:
		return 0, d.errorf(n.Line, path, "must be at least %d, got %s (allowed: %d to %d)", lo, n.Value, lo, hi)
	case err != nil, i > hi:
		return 0, d.errorf(n.Line, path, "%s exceeds the maximum %d (allowed: %d to %d)", n.Value, hi, lo, hi)
	}
	return i, nil
}

// count decodes a count from lo to MaxCount.
func (d *decoder) count(n *yaml.Node, path string, lo int) (int, error) {
	return d.between(n, path, lo, MaxCount)
}

// pendingLimit decodes a pending-messages limit: any integer up to
// MaxCount in magnitude but 0, a negative one meaning no limit.
func (d *decoder) pendingLimit(n *yaml.Node, path string) (*int, error) {
	i, err := d.between(n, path, -MaxCount, MaxCount)
	if err == nil && i == 0 {
		err = d.errorf(n.Line, path, "must not be 0 (use a negative value for no limit)")
	}
	return &i, err
}

// durationTags are the tags of scalars that may hold a duration: "0" is an
// integer to YAML but a fine duration.
var durationTags = []string{"!!str", "!!int", "!!float"}

// duration decodes a Go duration such as 250ms or 1m30s, from 0 to
// MaxDuration.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, error) {
	const want = "want a duration such as 250ms, 1.5s or 2m"
	s, err := d.scalar(n, path, "a duration such as 250ms", durationTags...)
	if err != nil {
		return 0, err
	}
	v, err := sim.ParseDuration(s)
	switch {
	case errors.Is(err, sim.ErrDurationTooLong), err == nil && v > MaxDuration:
		return 0, d.tooLong(n, path, s)
	case err != nil:
		return 0, d.errorf(n.Line, path, "bad duration %q: %s", s, want)
	case v < 0:
		return 0, d.errorf(n.Line, path, "duration %q must not be negative (%s)", s, durationRange)
	}
	return v, nil
}

// tooLong reports a duration s longer than MaxDuration.
func (d *decoder) tooLong(n *yaml.Node, path, s string) error {
	return d.errorf(n.Line, path, "duration %q exceeds the maximum %dh (%s)", s, MaxDuration/time.Hour, durationRange)
}

func (d *decoder) durationPtr(n *yaml.Node, path string) (*time.Duration, error) {
	v, err := d.duration(n, path)
	return &v, err
}

// dist decodes a distribution in the syntax of sim.ParseDist.
func (d *decoder) dist(n *yaml.Node, path string) (sim.Dist, error) {
	s, err := d.scalar(n, path, "a duration or distribution such as 200ms or uniform(1ms,5ms)", durationTags...)
	if err != nil {
		return sim.Dist{}, err
	}
	v, err := sim.ParseDist(s)
	if errors.Is(err, sim.ErrNeedsFile) {
		return d.empirical(n, path, s)
	}
	switch {
	case errors.Is(err, sim.ErrDurationTooLong), err == nil && max(v.A, v.B) > MaxDuration:
		return sim.Dist{}, d.tooLong(n, path, s)
	case err != nil:
		return sim.Dist{}, d.wrap(n.Line, path, err)
	}
	return v, nil
}

// size decodes a byte count: an integer or a string such as 64KiB, at
// most MaxBytes. Only a limit may be negative (meaning none), and a limit
// may not be 0.
func (d *decoder) size(n *yaml.Node, path string, limit bool) (int, error) {
	const want = "a size in bytes such as 1024, 64KiB or 8MiB"
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		lo := 0
		if limit {
			lo = -MaxBytes
		}
		v, err := d.between(n, path, lo, MaxBytes)
		if err == nil && v == 0 && limit {
			err = d.errorf(n.Line, path, "must not be 0 (use a negative value for no limit)")
		}
		return v, err
	}
	s, err := d.scalar(n, path, want, "!!str")
	if err != nil {
		return 0, err
	}
	v, ok := parseSize(s)
	switch {
	case !ok && sizeSyntax(s):
		return 0, d.errorf(n.Line, path, "size %q exceeds the maximum 1TiB (%d bytes)", s, MaxBytes)
	case !ok:
		return 0, d.errorf(n.Line, path, "bad size %q: want %s", s, want)
	case v > MaxBytes:
		return 0, d.errorf(n.Line, path, "size %q exceeds the maximum 1TiB (%d bytes)", s, MaxBytes)
	case v == 0 && limit:
		return 0, d.errorf(n.Line, path, "must not be 0 (use a negative value for no limit)")
	}
	return v, nil
}

func (d *decoder) sizePtr(n *yaml.Node, path string, limit bool) (*int, error) {
	v, err := d.size(n, path, limit)
	return &v, err
}

// subject decodes a NATS subject; wildcards are allowed only if wild.
func (d *decoder) subject(n *yaml.Node, path string, wild bool) (string, error) {
	s, err := d.str(n, path)
	if err != nil {
		return "", err
	}
	if err := checkSubject(s, wild); err != nil {
		return "", d.wrap(n.Line, path, err)
	}
	return s, nil
}

// queue decodes a queue group name.
func (d *decoder) queue(n *yaml.Node, path string) (string, error) {
	s, err := d.str(n, path)
	if err != nil {
		return "", err
	}
	if err := checkQueue(s); err != nil {
		return "", d.wrap(n.Line, path, err)
	}
	return s, nil
}

// handlerDrain decodes a handler's drain: {} or {wait: true}.
func (d *decoder) handlerDrain(n *yaml.Node, path string) (*HandlerDrain, error) {
	fs, err := d.mapping(n, path, "wait")
	if err != nil {
		return nil, err
	}
	h := &HandlerDrain{}
	for _, f := range fs {
		if h.Wait, err = d.boolean(f.val, f.path); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// empty decodes the argument of a verb that takes no fields: {} or nothing.
func (d *decoder) empty(n *yaml.Node, path string) (*struct{}, error) {
	if _, err := d.mapping(n, path); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (d *decoder) scenario(n *yaml.Node) (*Scenario, error) {
	s := &Scenario{
		File:    d.file,
		Profile: DefaultProfile,
		Limits:  Limits{MaxTime: DefaultMaxTime, MaxEvents: DefaultMaxEvents, MaxRecords: DefaultMaxRecords},
		Network: Network{Latency: sim.Const(DefaultLatency)},
		Server:  Server{NoResponders: true},
	}
	if n.Kind != yaml.MappingNode {
		return nil, d.typeError(n, "", "a mapping with the scenario's fields (name:, clients:, actions:, ...)")
	}
	fields, err := d.mapping(n, "", "name", "description", "profile", "seed",
		"limits", "network", "server", "servers", "routes", "leafnodes", "gateways", "clients", "subscriptions", "actions", "vary", "expect", "ties", "choices")
	if err != nil {
		return nil, err
	}
	if err := d.require(n, "", fields, "name"); err != nil {
		return nil, err
	}
	for _, f := range fields {
		switch f.name {
		case "name":
			s.Name, err = d.name(f.val, f.path)
		case "description":
			s.Description, err = d.str(f.val, f.path)
		case "profile":
			s.Profile, err = d.name(f.val, f.path)
			s.ProfileLine = f.line
		case "seed":
			s.Seed, err = d.seed(f.val, f.path)
		case "limits":
			err = d.limits(f.val, f.path, &s.Limits)
		case "network":
			err = d.network(f.val, f.path, &s.Network)
		case "server":
			err = d.server(f.val, f.path, &s.Server)
		case "clients":
			s.Clients, err = list(d, f.val, f.path, d.client)
		case "subscriptions":
			s.Subs, err = list(d, f.val, f.path, d.sub)
		case "actions":
			s.Actions, err = list(d, f.val, f.path, d.action)
		case "vary":
			s.Vary, err = d.vary(f.val, f.path)
		case "expect":
			s.Expect, err = list(d, f.val, f.path, d.expectation)
		case "ties":
			s.PermuteTies, err = d.ties(f.val, f.path)
		case "choices":
			s.Choices, err = d.choices(f.val, f.path)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := d.topology(s, fields); err != nil {
		return nil, err
	}
	return s, nil
}

func (d *decoder) seed(n *yaml.Node, path string) (uint64, error) {
	var v uint64
	if _, err := d.scalar(n, path, "a non-negative integer", "!!int"); err != nil {
		return 0, err
	}
	if err := n.Decode(&v); err != nil {
		return 0, d.errorf(n.Line, path, "want a non-negative integer below 2^64, got %s", n.Value)
	}
	return v, nil
}

func (d *decoder) limits(n *yaml.Node, path string, l *Limits) error {
	fields, err := d.mapping(n, path, "max_time", "max_events", "max_records")
	if err != nil {
		return err
	}
	for _, f := range fields {
		switch f.name {
		case "max_time":
			l.MaxTime, err = d.duration(f.val, f.path)
			if err == nil && l.MaxTime == 0 {
				err = d.errorf(f.line, f.path, "must be positive")
			}
		case "max_events":
			var v int
			v, err = d.between(f.val, f.path, 1, MaxEventBudget)
			l.MaxEvents = uint64(v)
		case "max_records":
			var v int
			v, err = d.between(f.val, f.path, 1, MaxRecordBudget)
			l.MaxRecords = uint64(v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) network(n *yaml.Node, path string, nw *Network) error {
	fields, err := d.mapping(n, path, "latency", "bandwidth")
	if err != nil {
		return err
	}
	for _, f := range fields {
		switch f.name {
		case "latency":
			nw.Latency, err = d.dist(f.val, f.path)
		case "bandwidth":
			nw.Bandwidth, err = d.bandwidth(f.val, f.path)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// bandwidth decodes a rate in bytes per second: a size followed by /s,
// such as 10MB/s or 512KiB/s.
func (d *decoder) bandwidth(n *yaml.Node, path string) (int, error) {
	const want = "want bytes per second such as 10MB/s, 512KiB/s or 125000/s (leave bandwidth out for unlimited)"
	s, err := d.scalar(n, path, "a rate such as 10MB/s", "!!str")
	if err != nil {
		return 0, err
	}
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "/s")
	v, sized := parseSize(num)
	switch {
	case ok && !sized && sizeSyntax(num), sized && v > MaxBytes:
		return 0, d.errorf(n.Line, path, "bandwidth %q exceeds the maximum 1TiB/s (%d bytes per second)", s, MaxBytes)
	case !ok || !sized:
		return 0, d.errorf(n.Line, path, "bad bandwidth %q: %s", s, want)
	case v == 0:
		return 0, d.errorf(n.Line, path, "bandwidth %q must be positive: %s", s, want)
	}
	return v, nil
}

func (d *decoder) server(n *yaml.Node, path string, s *Server) error {
	fields, err := d.mapping(n, path, "no_responders", "max_pending", "no_fast_producer_stall")
	if err != nil {
		return err
	}
	for _, f := range fields {
		switch f.name {
		case "no_responders":
			s.NoResponders, err = d.boolean(f.val, f.path)
		case "max_pending":
			s.MaxPending, err = d.size(f.val, f.path, false)
			s.MaxPendingLine = f.line
			if err == nil && s.MaxPending == 0 {
				err = d.errorf(f.line, f.path, "must be positive (leave max_pending out for nats-server's default, 64MiB)")
			}
		case "no_fast_producer_stall":
			s.NoFastProducerStall, err = d.boolean(f.val, f.path)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// list decodes a YAML sequence, each element with item; the element's path
// is path[i].
func list[T any](d *decoder, n *yaml.Node, path string, item func(*yaml.Node, string) (T, error)) ([]T, error) {
	items, err := d.sequence(n, path)
	if err != nil {
		return nil, err
	}
	if len(items) > MaxItems {
		return nil, d.errorf(n.Line, path, "%d items exceed the maximum of %d", len(items), MaxItems)
	}
	var out []T
	for i, n := range items {
		v, err := item(n, index(path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *decoder) client(n *yaml.Node, path string) (Client, error) {
	c := Client{AllowReconnect: true, Line: n.Line}
	err := d.object(n, path,
		key{"name", true, func(v *yaml.Node, p string) (err error) { c.Name, err = d.name(v, p); return }},
		key{"drain_timeout", false, func(v *yaml.Node, p string) (err error) { c.DrainTimeout, err = d.durationPtr(v, p); return }},
		key{"pending_msgs_limit", false, func(v *yaml.Node, p string) (err error) { c.PendingMsgsLimit, err = d.pendingLimit(v, p); return }},
		key{"pending_bytes_limit", false, func(v *yaml.Node, p string) (err error) { c.PendingBytesLimit, err = d.sizePtr(v, p, true); return }},
		key{"allow_reconnect", false, func(v *yaml.Node, p string) (err error) { c.AllowReconnect, err = d.boolean(v, p); return }},
		key{"reconnect_wait", false, func(v *yaml.Node, p string) (err error) { c.ReconnectWait, err = d.durationPtr(v, p); return }},
		key{"max_reconnect", false, func(v *yaml.Node, p string) error {
			n, err := d.between(v, p, -MaxCount, MaxCount)
			c.MaxReconnect = &n
			return err
		}},
		key{"reconnect_buf_size", false, func(v *yaml.Node, p string) (err error) { c.ReconnectBufSize, err = d.sizePtr(v, p, false); return }},
		key{"no_callbacks_after_close", false, func(v *yaml.Node, p string) (err error) { c.NoCallbacksAfterClose, err = d.boolean(v, p); return }},
		key{"server", false, func(v *yaml.Node, p string) (err error) { c.Server, err = d.name(v, p); return }},
		key{"reconnect_servers", false, func(v *yaml.Node, p string) (err error) { c.ReconnectServers, err = list(d, v, p, d.name); return }},
		key{"ping_interval", false, func(v *yaml.Node, p string) (err error) { c.PingInterval, err = d.positiveDuration(v, p); return }},
		key{"max_pings_out", false, func(v *yaml.Node, p string) error {
			n, err := d.between(v, p, 0, MaxCount)
			c.MaxPingsOut = &n
			return err
		}},
		key{"offline_until", false, func(v *yaml.Node, p string) (err error) { c.OfflineUntil, err = d.durationPtr(v, p); return }},
		key{"lame_duck", false, func(v *yaml.Node, p string) (err error) { c.LameDuck, err = d.lameDuckReaction(v, p); return }})
	return c, err
}

// lameDuckReaction decodes a client's lame_duck: ignore or force_reconnect.
func (d *decoder) lameDuckReaction(n *yaml.Node, path string) (LameDuckReaction, error) {
	want := strings.Join(lameDuckReactions[:], " or ")
	s, err := d.scalar(n, path, want, "!!str")
	if err != nil {
		return 0, err
	}
	for i, r := range lameDuckReactions {
		if s == r {
			return LameDuckReaction(i), nil
		}
	}
	return 0, d.errorf(n.Line, path, "unknown lame-duck reaction %q: want %s (make-before-break is a second client whose actions wait for the lame_duck event, docs/cluster.md#lame-duck-mode)", s, want)
}

// positiveDuration decodes a duration that must be above zero.
func (d *decoder) positiveDuration(n *yaml.Node, path string) (*time.Duration, error) {
	v, err := d.duration(n, path)
	if err == nil && v == 0 {
		err = d.errorf(n.Line, path, "duration %q must be positive", n.Value)
	}
	return &v, err
}

func (d *decoder) sub(n *yaml.Node, path string) (Subscription, error) {
	s := Subscription{Line: n.Line}
	fields, err := d.mapping(n, path, "id", "client", "subject", "queue", "type",
		"deferred", "max", "chan_len", "status_events", "pending_msgs_limit", "pending_bytes_limit", "dispatcher", "handler")
	if err == nil {
		err = d.require(n, path, fields, "id", "client", "subject")
	}
	handlerLine, chanLenLine, limitLine, limitField := 0, 0, 0, ""
	for _, f := range fields {
		if err != nil {
			break
		}
		switch f.name {
		case "id":
			s.ID, err = d.name(f.val, f.path)
		case "client":
			s.Client, err = d.name(f.val, f.path)
		case "subject":
			s.Subject, err = d.subject(f.val, f.path, true)
		case "queue":
			s.Queue, err = d.queue(f.val, f.path)
		case "type":
			s.Type, err = d.subType(f.val, f.path)
		case "deferred":
			s.Deferred, err = d.boolean(f.val, f.path)
		case "max":
			s.Max, err = d.count(f.val, f.path, 0)
		case "status_events":
			s.StatusEvents, err = d.boolean(f.val, f.path)
		case "chan_len":
			chanLenLine = f.line
			s.ChanLen, err = d.count(f.val, f.path, 1)
		case "pending_msgs_limit":
			limitLine, limitField = f.line, f.name
			s.PendingMsgsLimit, err = d.pendingLimit(f.val, f.path)
		case "pending_bytes_limit":
			limitLine, limitField = f.line, f.name
			s.PendingBytesLimit, err = d.sizePtr(f.val, f.path, true)
		case "dispatcher":
			s.DispatcherLine = f.line
			s.Dispatcher, err = d.name(f.val, f.path)
		case "handler":
			handlerLine = f.line
			s.Handler, err = d.handler(f.val, f.path)
		}
	}
	if err == nil && handlerLine > 0 && !s.Type.Callbacks() {
		err = d.errorf(handlerLine, join(path, "handler"), "a %s subscription cannot have a handler (the application calls next_msg instead)", s.Type)
	}
	if err == nil && s.DispatcherLine > 0 && !s.Type.Callbacks() {
		err = d.errorf(s.DispatcherLine, join(path, "dispatcher"), "a %s subscription cannot belong to a dispatcher (a dispatcher runs callbacks)", s.Type)
	}
	if err == nil && chanLenLine > 0 && s.Type != Chan {
		err = d.errorf(chanLenLine, join(path, "chan_len"), "chan_len is the capacity of a chan subscription's channel: give the subscription type: chan, or leave chan_len out")
	}
	if err == nil && limitLine > 0 && s.Type == Chan {
		err = d.errorf(limitLine, join(path, limitField), "a chan subscription has no pending limits (nats.go's SetPendingLimits returns ErrTypeSubscription): its channel's capacity, chan_len, limits it")
	}
	if err == nil && s.Type == Chan && s.ChanLen == 0 {
		s.ChanLen = DefaultChanLen
	}
	return s, err
}

func (d *decoder) subType(n *yaml.Node, path string) (SubType, error) {
	s, err := d.scalar(n, path, "async, sync or chan", "!!str")
	if err != nil {
		return 0, err
	}
	for _, t := range []SubType{Async, Sync, Chan} {
		if s == t.String() {
			return t, nil
		}
	}
	return 0, d.errorf(n.Line, path, "unknown subscription type %q: want async, sync or chan", s)
}

func (d *decoder) handler(n *yaml.Node, path string) (Handler, error) {
	var h Handler
	fields, err := d.mapping(n, path, "duration", "blocking", "actions")
	if err != nil {
		return h, err
	}
	for _, f := range fields {
		switch f.name {
		case "duration":
			h.Duration, err = d.dist(f.val, f.path)
		case "blocking":
			h.Blocking, err = d.boolean(f.val, f.path)
		case "actions":
			h.Actions, err = list(d, f.val, f.path, d.handlerAction)
		}
		if err != nil {
			return h, err
		}
	}
	return h, nil
}

// The verbs of handler actions and of top-level actions, in the order
// Marshal writes them.
var (
	handlerVerbs = []string{"reply", "publish", "request", "unsubscribe", "drain_sub", "subscribe", "drain", "sleep"}
	actionVerbs  = []string{"publish", "request", "flush", "subscribe", "unsubscribe", "auto_unsubscribe",
		"drain_sub", "drain", "close", "next_msg", "counters", "disconnect", "restart_server", "stall", "lame_duck", "cut_link"}
)

func (d *decoder) handlerAction(n *yaml.Node, path string) (HandlerAction, error) {
	a := HandlerAction{Line: n.Line}
	if isNull(n) {
		return a, d.noVerb(n, path, handlerVerbs)
	}
	fields, err := d.mapping(n, path, append([]string{"nth"}, handlerVerbs...)...)
	if err == nil {
		err = d.oneVerb(n, path, fields, handlerVerbs)
	}
	for _, f := range fields {
		if err != nil {
			break
		}
		switch f.name {
		case "nth":
			a.Nth, err = d.count(f.val, f.path, 0)
		case "reply":
			a.Reply, err = d.reply(f.val, f.path)
		case "publish":
			a.Publish, err = d.publish(f.val, f.path, true)
		case "request":
			a.Request, err = d.request(f.val, f.path, true)
		case "unsubscribe":
			a.Unsubscribe, err = d.empty(f.val, f.path)
		case "drain_sub":
			a.DrainSub, err = d.drainSub(f.val, f.path, true)
		case "subscribe":
			a.Subscribe, err = d.subRef(f.val, f.path)
		case "drain":
			a.Drain, err = d.handlerDrain(f.val, f.path)
		case "sleep":
			var v sim.Dist
			v, err = d.dist(f.val, f.path)
			a.Sleep = &v
		}
	}
	return a, err
}

// oneVerb checks that exactly one of fields is one of verbs.
func (d *decoder) oneVerb(n *yaml.Node, path string, fields []field, verbs []string) error {
	var verb string
	for _, f := range fields {
		if !slices.Contains(verbs, f.name) {
			continue
		}
		if verb != "" {
			return d.errorf(n.Line, path, "two verbs, %s and %s: want exactly one per action", verb, f.name)
		}
		verb = f.name
	}
	if verb == "" {
		return d.noVerb(n, path, verbs)
	}
	return nil
}

func (d *decoder) noVerb(n *yaml.Node, path string, verbs []string) error {
	return d.errorf(n.Line, path, "no verb: want one of %s", strings.Join(verbs, ", "))
}

func (d *decoder) reply(n *yaml.Node, path string) (*Reply, error) {
	r := &Reply{}
	fields, err := d.mapping(n, path, "size")
	for _, f := range fields {
		if err == nil {
			r.Size, err = d.size(f.val, f.path, false)
		}
	}
	return r, err
}

// publish decodes a publish; in a handler it has no client field.
func (d *decoder) publish(n *yaml.Node, path string, inHandler bool) (*Publish, error) {
	p := &Publish{Count: 1}
	fields, err := d.mapping(n, path, "client", "subject", "reply", "size", "headers", "count", "interval")
	if err == nil {
		err = d.requireClient(n, path, fields, inHandler)
	}
	for _, f := range fields {
		if err != nil {
			break
		}
		switch f.name {
		case "client":
			p.Client, err = d.name(f.val, f.path)
		case "subject":
			p.Subject, err = d.subject(f.val, f.path, false)
		case "reply":
			p.Reply, err = d.str(f.val, f.path) // "" means no reply subject
			if err == nil && p.Reply != "" {
				p.Reply, err = d.subject(f.val, f.path, false)
			}
		case "size":
			p.Size, err = d.size(f.val, f.path, false)
		case "headers":
			p.Headers, err = d.size(f.val, f.path, false)
		case "count":
			p.Count, err = d.count(f.val, f.path, 1)
		case "interval":
			p.Interval, err = d.duration(f.val, f.path)
		}
	}
	return p, err
}

// requireClient checks the fields of a publish or request: subject is
// required, and client is required at the top level and forbidden in a
// handler.
func (d *decoder) requireClient(n *yaml.Node, path string, fields []field, inHandler bool) error {
	if !inHandler {
		return d.require(n, path, fields, "client", "subject")
	}
	for _, f := range fields {
		if f.name == "client" {
			return d.errorf(f.line, f.path, "not allowed in a handler: the handler's own connection is used")
		}
	}
	return d.require(n, path, fields, "subject")
}

// request decodes a request; in a handler it has no client field.
func (d *decoder) request(n *yaml.Node, path string, inHandler bool) (*Request, error) {
	r := &Request{Count: 1, Timeout: DefaultRequestTimeout}
	fields, err := d.mapping(n, path, "client", "subject", "size", "timeout", "count", "interval")
	if err == nil {
		err = d.requireClient(n, path, fields, inHandler)
	}
	for _, f := range fields {
		if err != nil {
			break
		}
		switch f.name {
		case "client":
			r.Client, err = d.name(f.val, f.path)
		case "subject":
			r.Subject, err = d.subject(f.val, f.path, false)
		case "size":
			r.Size, err = d.size(f.val, f.path, false)
		case "timeout":
			r.Timeout, err = d.duration(f.val, f.path)
		case "count":
			r.Count, err = d.count(f.val, f.path, 1)
		case "interval":
			r.Interval, err = d.duration(f.val, f.path)
		}
	}
	return r, err
}

func (d *decoder) subRef(n *yaml.Node, path string) (*SubRef, error) {
	r := &SubRef{}
	return r, d.object(n, path,
		key{"sub", true, func(v *yaml.Node, p string) (err error) { r.Sub, err = d.name(v, p); return }})
}

// drainSub decodes a subscription drain: {sub, timeout} at the top level,
// {timeout} (or nothing) in a handler, which drains its own subscription.
func (d *decoder) drainSub(n *yaml.Node, path string, inHandler bool) (*DrainSub, error) {
	r := &DrainSub{}
	timeout := key{"timeout", false, func(v *yaml.Node, p string) error {
		t, err := d.duration(v, p)
		r.Timeout = &t
		return err
	}}
	if inHandler {
		return r, d.object(n, path, timeout)
	}
	return r, d.object(n, path,
		key{"sub", true, func(v *yaml.Node, p string) (err error) { r.Sub, err = d.name(v, p); return }}, timeout)
}

func (d *decoder) clientRef(n *yaml.Node, path string) (*ClientRef, error) {
	r := &ClientRef{}
	return r, d.object(n, path,
		key{"client", true, func(v *yaml.Node, p string) (err error) { r.Client, err = d.name(v, p); return }})
}

func (d *decoder) action(n *yaml.Node, path string) (Action, error) {
	a := Action{Line: n.Line}
	if isNull(n) {
		return a, d.noVerb(n, path, actionVerbs)
	}
	fields, err := d.mapping(n, path, append([]string{"at", "after"}, actionVerbs...)...)
	if err == nil {
		err = d.oneVerb(n, path, fields, actionVerbs)
	}
	if err == nil {
		err = d.atOrAfter(n, path, fields)
	}
	for _, f := range fields {
		if err != nil {
			break
		}
		switch f.name {
		case "at":
			a.At, err = d.duration(f.val, f.path)
		case "after":
			a.After, err = d.trigger(f.val, f.path)
		case "publish":
			a.Publish, err = d.publish(f.val, f.path, false)
		case "request":
			a.Request, err = d.request(f.val, f.path, false)
		case "flush":
			a.Flush, err = d.flush(f.val, f.path)
		case "subscribe":
			a.Subscribe, err = d.subRef(f.val, f.path)
		case "unsubscribe":
			a.Unsubscribe, err = d.subRef(f.val, f.path)
		case "counters":
			a.Counters, err = d.subRef(f.val, f.path)
		case "auto_unsubscribe":
			a.AutoUnsubscribe, err = d.autoUnsubscribe(f.val, f.path)
		case "drain_sub":
			a.DrainSub, err = d.drainSub(f.val, f.path, false)
		case "drain":
			a.Drain, err = d.clientRef(f.val, f.path)
		case "close":
			a.Close, err = d.clientRef(f.val, f.path)
		case "next_msg":
			a.NextMsg, err = d.nextMsg(f.val, f.path)
		case "disconnect":
			a.Disconnect, err = d.disconnect(f.val, f.path)
		case "restart_server":
			a.RestartServer, err = d.restartServer(f.val, f.path)
		case "stall":
			a.Stall, err = d.stall(f.val, f.path)
		case "lame_duck":
			a.LameDuck, err = d.lameDuck(f.val, f.path)
		case "cut_link":
			a.CutLink, err = d.cutLink(f.val, f.path)
		}
	}
	return a, err
}

// key is one field of a mapping decoded by object.
type key struct {
	name     string
	required bool
	decode   func(v *yaml.Node, path string) error
}

// object decodes the mapping n: only keys' names are allowed, required ones
// must be present, and each field present is decoded in file order; the
// first error wins.
func (d *decoder) object(n *yaml.Node, path string, keys ...key) error {
	names := make([]string, len(keys))
	var required []string
	for i, k := range keys {
		names[i] = k.name
		if k.required {
			required = append(required, k.name)
		}
	}
	fields, err := d.mapping(n, path, names...)
	if err == nil {
		err = d.require(n, path, fields, required...)
	}
	for _, f := range fields {
		if err != nil {
			break
		}
		err = keys[slices.Index(names, f.name)].decode(f.val, f.path)
	}
	return err
}

func (d *decoder) flush(n *yaml.Node, path string) (*Flush, error) {
	fl := &Flush{Timeout: DefaultFlushTimeout}
	return fl, d.object(n, path,
		key{"client", true, func(v *yaml.Node, p string) (err error) { fl.Client, err = d.name(v, p); return }},
		key{"timeout", false, func(v *yaml.Node, p string) (err error) { fl.Timeout, err = d.duration(v, p); return }})
}

func (d *decoder) autoUnsubscribe(n *yaml.Node, path string) (*AutoUnsubscribe, error) {
	au := &AutoUnsubscribe{}
	return au, d.object(n, path,
		key{"sub", true, func(v *yaml.Node, p string) (err error) { au.Sub, err = d.name(v, p); return }},
		key{"max", true, func(v *yaml.Node, p string) (err error) { au.Max, err = d.count(v, p, 0); return }})
}

func (d *decoder) nextMsg(n *yaml.Node, path string) (*NextMsg, error) {
	nm := &NextMsg{Timeout: DefaultNextMsgTimeout, Count: 1}
	return nm, d.object(n, path,
		key{"sub", true, func(v *yaml.Node, p string) (err error) { nm.Sub, err = d.name(v, p); return }},
		key{"timeout", false, func(v *yaml.Node, p string) (err error) { nm.Timeout, err = d.duration(v, p); return }},
		key{"count", false, func(v *yaml.Node, p string) (err error) { nm.Count, err = d.count(v, p, 1); return }})
}

func (d *decoder) disconnect(n *yaml.Node, path string) (*Disconnect, error) {
	dc := &Disconnect{}
	return dc, d.object(n, path,
		key{"client", true, func(v *yaml.Node, p string) (err error) { dc.Client, err = d.name(v, p); return }},
		key{"for", false, func(v *yaml.Node, p string) (err error) { dc.For, err = d.duration(v, p); return }})
}

func (d *decoder) stall(n *yaml.Node, path string) (*Stall, error) {
	st := &Stall{}
	return st, d.object(n, path,
		key{"client", true, func(v *yaml.Node, p string) (err error) { st.Client, err = d.name(v, p); return }},
		key{"for", true, func(v *yaml.Node, p string) (err error) { st.For, err = d.duration(v, p); return }})
}

func (d *decoder) restartServer(n *yaml.Node, path string) (*RestartServer, error) {
	rs := &RestartServer{}
	return rs, d.object(n, path,
		key{"for", false, func(v *yaml.Node, p string) (err error) { rs.For, err = d.duration(v, p); return }},
		key{"server", false, func(v *yaml.Node, p string) (err error) { rs.Server, err = d.name(v, p); return }})
}

// lameDuck decodes a lame_duck action: the server, and nats-server's
// lame_duck_grace_period (grace) and lame_duck_duration (duration), which
// nats-server requires to be in that order (validateOptions).
func (d *decoder) lameDuck(n *yaml.Node, path string) (*LameDuck, error) {
	ld := &LameDuck{Grace: DefaultLameDuckGrace, Duration: DefaultLameDuckDuration}
	err := d.object(n, path,
		key{"server", true, func(v *yaml.Node, p string) (err error) { ld.Server, err = d.name(v, p); return }},
		key{"grace", false, func(v *yaml.Node, p string) (err error) { ld.Grace, err = d.duration(v, p); return }},
		key{"duration", false, func(v *yaml.Node, p string) (err error) { ld.Duration, err = d.duration(v, p); return }})
	if err == nil && ld.Grace >= ld.Duration {
		err = d.errorf(n.Line, path, "lame-duck grace %v is not below its duration %v: nats-server refuses that (lame_duck_grace_period must be less than lame_duck_duration; defaults 10s and 2m); want grace < duration", ld.Grace, ld.Duration)
	}
	return ld, err
}

// cutLink decodes a cut_link action: the two servers the link joins
// (between:, as in routes: and gateways:) and how long it stays cut
// (for:, above zero: a cut of no length would cut nothing). That the
// servers exist and are linked is checked with the topology
// (validateClientServers).
func (d *decoder) cutLink(n *yaml.Node, path string) (*CutLink, error) {
	cl := &CutLink{}
	err := d.object(n, path,
		key{"between", true, func(v *yaml.Node, p string) error {
			pair, err := d.serverPair(v, p)
			for i := 0; err == nil && i < 2; i++ {
				cl.Between[i], err = d.name(pair[i], index(p, i))
			}
			return err
		}},
		key{"for", true, func(v *yaml.Node, p string) (err error) {
			if cl.For, err = d.duration(v, p); err == nil && cl.For == 0 {
				err = d.errorf(v.Line, p, "a cut of 0s cuts nothing; want a duration above zero such as 100ms")
			}
			return
		}})
	return cl, err
}

// cutAtComma reports whether n looks like the first part of a plain
// distribution such as uniform(1ms,5ms) that a flow mapping split in two.
func cutAtComma(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style == 0 &&
		strings.Count(n.Value, "(") > strings.Count(n.Value, ")")
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the kind and value of n for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!str":
			return fmt.Sprintf("string %q", n.Value)
		case "!!int":
			return "integer " + n.Value
		case "!!float":
			return "number " + n.Value
		case "!!bool":
			return n.Value
		}
		return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
	}
	return "an empty document"
}

// join appends a field name to a path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// index appends a list index to a path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
