package sim

import (
	"errors"
	"fmt"
)

// Enum is the exhaustive Chooser driver: it visits every sequence of
// choices a deterministic run can make, one run per sequence, depth first.
// The first run takes option 0 of every choice (for the model, the run
// PCG-free defaults would give: the first queue member, the first of a
// oneof, ties in scheduling order); each later run replays a prefix of the
// previous sequence, takes the next option at its last choice and option 0
// after it, until every option of every choice has been taken. The order
// of visits is fixed by the sequences alone, so it is deterministic.
//
// Only finite domains are enumerated: Float64 (a draw from a continuous
// distribution) and an IntN with more than MaxBranch options stop the
// enumeration with an error wrapping ErrContinuous or ErrWideChoice, since
// neither can be visited exhaustively. An IntN with one option is not a
// choice and is not recorded. Streams share the one sequence: the model
// makes its draws in a deterministic order, whatever stream they are on.
//
// Use: for { run with e; check the run; if !e.Next() { break } }, then
// Err says whether the enumeration ended with a refusal.
type Enum struct {
	maxBranch int
	path      []Choice
	pos       int // choices taken so far in the current run
	err       error
	states    uint64
}

// Choice is one choice of a sequence: which decision (its stream path and
// label), how many options it had and which was taken.
type Choice struct {
	Stream, Label string
	N, V          int
}

// String renders c as "stream/label=v/n".
func (c Choice) String() string {
	return fmt.Sprintf("%s%s=%d/%d", c.Stream, c.Label, c.V, c.N)
}

// ErrContinuous is wrapped by Enum.Err when the run drew from a continuous
// distribution (Float64), which has no finite set of options to visit.
var ErrContinuous = errors.New("a draw from a continuous domain: exhaustive exploration visits finite domains only")

// ErrWideChoice is wrapped by Enum.Err when the run made a choice with more
// options than the enumerator's MaxBranch.
var ErrWideChoice = errors.New("a choice with more options than one choice may have")

// ErrDiverged is wrapped by Enum.Err when a run did not repeat the choices
// of the prefix it replays: the run is not a deterministic function of its
// choices, and the enumeration would be meaningless.
var ErrDiverged = errors.New("the run did not repeat its earlier choices: it is not a deterministic function of them")

// NewEnum returns an enumerator positioned at the first sequence (option 0
// of every choice). maxBranch (at least 2) bounds the options of one
// choice.
func NewEnum(maxBranch int) *Enum {
	return &Enum{maxBranch: max(maxBranch, 2), states: 1}
}

// IntN implements Chooser.
func (e *Enum) IntN(label string, n int) int { return e.intN("", label, n) }

// Float64 implements Chooser. It is refused: see ErrContinuous. It returns
// 0.5, so that the run can end; its result is not a visit.
func (e *Enum) Float64(label string) float64 {
	e.fail(fmt.Errorf("%w: %s", ErrContinuous, label))
	return 0.5
}

// Stream implements Chooser: a view of the same sequence whose labels carry
// the stream's name.
func (e *Enum) Stream(name string) Chooser { return &enumStream{e: e, prefix: name + "/"} }

type enumStream struct {
	e      *Enum
	prefix string
}

func (s *enumStream) IntN(label string, n int) int { return s.e.intN(s.prefix, label, n) }

func (s *enumStream) Float64(label string) float64 { return s.e.Float64(s.prefix + label) }

func (s *enumStream) Stream(name string) Chooser {
	return &enumStream{e: s.e, prefix: s.prefix + name + "/"}
}

func (e *Enum) intN(stream, label string, n int) int {
	if n <= 0 {
		panic("sim: Enum.IntN with n <= 0")
	}
	if n == 1 || e.err != nil {
		return 0
	}
	if n > e.maxBranch {
		e.fail(fmt.Errorf("%w: %s%s has %d options, more than %d", ErrWideChoice, stream, label, n, e.maxBranch))
		return 0
	}
	if e.pos < len(e.path) {
		c := e.path[e.pos]
		if c.Stream != stream || c.Label != label || c.N != n {
			e.fail(fmt.Errorf("%w: choice %d was %s%s of %d options, now %s%s of %d", ErrDiverged, e.pos, c.Stream, c.Label, c.N, stream, label, n))
			return 0
		}
		e.pos++
		return c.V
	}
	e.path = append(e.path, Choice{Stream: stream, Label: label, N: n})
	e.pos++
	e.states++
	return 0
}

func (e *Enum) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// Next moves to the next sequence after a run and reports whether there is
// one: false when every sequence has been visited or the enumeration was
// refused (Err).
func (e *Enum) Next() bool {
	if e.err == nil && e.pos < len(e.path) {
		e.fail(fmt.Errorf("%w: the run ended after %d of the %d choices it replays", ErrDiverged, e.pos, len(e.path)))
	}
	if e.err != nil {
		return false
	}
	e.pos = 0
	for n := len(e.path); n > 0; n = len(e.path) {
		if c := &e.path[n-1]; c.V+1 < c.N {
			c.V++
			e.states++
			return true
		}
		e.path = e.path[:n-1]
	}
	return false
}

// Err returns why the enumeration was refused, or nil.
func (e *Enum) Err() error { return e.err }

// Sequence returns the choices of the current run, in the order made.
func (e *Enum) Sequence() []Choice { return append([]Choice(nil), e.path[:e.pos]...) }

// States returns how many distinct prefixes of choice sequences (nodes of
// the tree of choices, the root and each complete sequence included) the
// runs so far have visited: the model states at which a choice was taken,
// and the ends of the runs.
func (e *Enum) States() uint64 { return e.states }

// Tape is a Chooser that replays a recorded sequence of choices, as Enum
// made them: the k-th IntN with more than one option returns the k-th
// value, clamped to [0, n), or 0 once the values are used up. IntN with
// one option takes no value, as in Enum, so that a sequence Enum reports
// (Sequence) replays exactly. Float64 is not a finite choice: it returns
// 0.5, the median of a distribution, as Fixed does, and takes no value.
// Streams share the one tape.
type Tape struct {
	values []int
	pos    int
}

// NewTape returns a Tape replaying values.
func NewTape(values []int) *Tape { return &Tape{values: values} }

// IntN implements Chooser.
func (t *Tape) IntN(_ string, n int) int {
	if n <= 1 {
		return 0
	}
	v := 0
	if t.pos < len(t.values) {
		v = min(max(t.values[t.pos], 0), n-1)
	}
	t.pos++
	return v
}

// Float64 implements Chooser.
func (t *Tape) Float64(string) float64 { return 0.5 }

// Stream implements Chooser.
func (t *Tape) Stream(string) Chooser { return t }
