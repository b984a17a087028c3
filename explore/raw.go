package explore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/drainsim/drainsim/model"
)

// RawFormat identifies the JSON of Results (drainsim explore --raw).
// Version 2 added the checksum over the data; files of version 1 are
// refused with a message that says to rewrite them.
const RawFormat = "drainsim-explore-raw/2"

// oldRawFormats are the formats earlier versions wrote.
var oldRawFormats = []string{"drainsim-explore-raw/1"}

// MaxRawBytes bounds the size of a raw file ReadRaw accepts: the largest
// sweep (MaxRuns runs) takes well under it, about 25 bytes per run.
const MaxRawBytes = 1 << 30

// MaxLostPerRun bounds the number of messages a raw file may say one run
// lost: far above what a run's memory budget lets it hold, and low enough
// that MaxRuns such runs add up without overflowing.
const MaxLostPerRun = 1 << 32

// FieldError is a field of a raw file whose value cannot be right.
type FieldError struct {
	Field string // the JSON path, e.g. "cells[3].lost[7]"
	Value string // the value as found
	Want  string // what the field must hold
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("field %s = %s: want %s", e.Field, e.Value, e.Want)
}

// described is a FieldError value that describes the field rather than
// quoting it, such as "3 cells"; a string value is quoted.
type described string

func fieldErr(field string, value any, want string, args ...any) *FieldError {
	v := fmt.Sprint(value)
	if s, ok := value.(string); ok {
		v = strconv.Quote(s)
	}
	return &FieldError{Field: field, Value: v, Want: fmt.Sprintf(want, args...)}
}

// rawData is what the checksum covers: everything in a raw file but the
// checksum itself.
type rawData struct {
	Format string     `json:"format"`
	Sweep  Header     `json:"sweep"`
	Shard  Shard      `json:"shard"`
	Cells  []CellRuns `json:"cells"`
}

// sum returns the hex SHA-256 of the JSON of r's data. JSON encoding is
// deterministic and the values survive a round trip through it unchanged,
// so a file's checksum can be recomputed from what was decoded.
func (r *Results) sum() (string, error) {
	data, err := json.Marshal(rawData{Format: r.Format, Sweep: r.Sweep, Shard: r.Shard, Cells: r.Cells})
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:]), nil
}

// WriteRaw writes complete results as a raw file (drainsim explore --raw)
// with the checksum of their data.
func WriteRaw(w io.Writer, r *Results) error {
	if r.Partial != nil {
		return errors.New("the results of an interrupted run cannot be written as a raw file: a raw file holds every run of its shard")
	}
	sum, err := r.sum()
	if err != nil {
		return err
	}
	out := *r
	out.Checksum = sum
	data, err := json.Marshal(&out)
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// errTooLarge is returned by a cappedReader that read past its limit.
var errTooLarge = fmt.Errorf("larger than %d bytes, the limit of a raw file", MaxRawBytes)

// cappedReader reads at most n bytes of r and fails with errTooLarge
// beyond them, so that a huge or endless input (/dev/zero) is refused
// before it is held in memory.
type cappedReader struct {
	r io.Reader
	n int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// ReadRaw reads a raw file strictly: it must be one JSON object of the
// current format with no unknown fields, whose checksum matches its data
// and whose every field is in range (Results.Validate). name is the file's
// name, for messages; every error starts with it.
func ReadRaw(name string, r io.Reader) (*Results, error) {
	res, err := readRaw(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res.file = name
	return res, nil
}

func readRaw(r io.Reader) (*Results, error) {
	dec := json.NewDecoder(&cappedReader{r: r, n: MaxRawBytes})
	dec.DisallowUnknownFields()
	var res Results
	if err := dec.Decode(&res); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("not a drainsim explore --raw file: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not a drainsim explore --raw file: more data after its JSON object")
	}
	if slices.Contains(oldRawFormats, res.Format) {
		return nil, fmt.Errorf("format %q was written by an earlier drainsim and has no checksum: rerun drainsim explore --raw to write format %q", res.Format, RawFormat)
	}
	if res.Format != RawFormat {
		return nil, fieldErr("format", res.Format, "%q (written by drainsim explore --raw)", RawFormat)
	}
	sum, err := res.sum()
	if err != nil {
		return nil, err
	}
	if res.Checksum != sum {
		return nil, fieldErr("checksum", res.Checksum, "%s, the SHA-256 of the data: the file was changed or damaged after drainsim wrote it", sum)
	}
	if err := res.Validate(); err != nil {
		return nil, err
	}
	return &res, nil
}

// Validate checks every field of r against what Run can produce: the
// format, the header (seeds, target, axes and the number of runs they
// make, within MaxRuns), the shard, and in every cell the number of runs,
// each run's lost count and drain duration, and the counts, which must
// agree with the runs. Every error is a *FieldError. Nothing is allocated
// from a number in r before it is checked.
func (r *Results) Validate() error {
	if r.Format != RawFormat {
		return fieldErr("format", r.Format, "%q", RawFormat)
	}
	if err := r.Sweep.validate(); err != nil {
		return err
	}
	seeds := r.Sweep.Seeds
	switch s := r.Shard; {
	case s.N < 1 || s.N > seeds:
		return fieldErr("shard.n", s.N, "1 <= n <= %d (sweep.seeds)", seeds)
	case s.K < 1 || s.K > s.N:
		return fieldErr("shard.k", s.K, "1 <= k <= %d (shard.n)", s.N)
	}
	per := r.Shard.size(seeds)
	if p := r.Partial; p != nil {
		if p.Seeds < 1 || p.Seeds > per {
			return fieldErr("partial.seeds", p.Seeds, "1 <= seeds <= %d", per)
		}
		per = p.Seeds
	}
	if want := r.Sweep.numCells(); len(r.Cells) != want {
		return fieldErr("cells", described(fmt.Sprintf("%d cells", len(r.Cells))), "%d, the product of the axes' sizes", want)
	}
	for c := range r.Cells {
		if err := r.Cells[c].validate(per); err != nil {
			err.Field = fmt.Sprintf("cells[%d].%s", c, err.Field)
			return err
		}
	}
	return nil
}

// validate checks a Header; see Results.Validate.
func (h *Header) validate() error {
	switch {
	case h.Name == "":
		return fieldErr("sweep.name", h.Name, "the sweep's name")
	case h.Scenario == "":
		return fieldErr("sweep.scenario", h.Scenario, "the base scenario's name")
	case h.Profile != "" && !slices.Contains(model.ProfileNames(), h.Profile):
		return fieldErr("sweep.profile", h.Profile, "a profile name, one of %v", model.ProfileNames())
	case !isSHA256(h.Fingerprint):
		return fieldErr("sweep.fingerprint", h.Fingerprint, "64 lowercase hex digits (a SHA-256)")
	case h.Seeds < 1 || h.Seeds > MaxRuns:
		return fieldErr("sweep.seeds", h.Seeds, "1 <= seeds <= %d", MaxRuns)
	}
	if err := CheckTarget(h.Target); err != nil {
		return fieldErr("sweep.target", h.Target, "%v <= target < 1", MinTarget)
	}
	known := axisNames()
	switch {
	case len(h.Axes) == 0:
		return fieldErr("sweep.axes", described("[]"), "one axis or more, the x axis last")
	case len(h.Axes) > len(known):
		return fieldErr("sweep.axes", described(fmt.Sprintf("%d axes", len(h.Axes))), "at most %d, one of each kind", len(known))
	}
	runs := float64(h.Seeds) // a float: a product of many axes must not wrap around
	for i, a := range h.Axes {
		field := fmt.Sprintf("sweep.axes[%d]", i)
		switch {
		case !slices.Contains(known, a.Name):
			return fieldErr(field+".name", a.Name, "one of %v", known)
		case slices.ContainsFunc(h.Axes[:i], func(b AxisInfo) bool { return b.Name == a.Name }):
			return fieldErr(field+".name", a.Name, "each axis once")
		case len(a.Values) == 0:
			return fieldErr(field+".values", described("[]"), "one value or more")
		case len(a.Num) != 0 && len(a.Num) != len(a.Values):
			return fieldErr(field+".num", described(fmt.Sprintf("%d numbers", len(a.Num))), "none, or one per value (%d)", len(a.Values))
		case a.Name == TimeoutAxis && i != len(h.Axes)-1 && !slices.Contains(XAxes[1:], h.Axes[len(h.Axes)-1].Name):
			return fieldErr(field+".name", a.Name, "drain_timeout as the last axis")
		case slices.Contains(XAxes, a.Name) && len(a.Num) == 0:
			return fieldErr(field+".num", described("[]"), "the %s values as numbers (durations in nanoseconds), one per value", a.Name)
		}
		if j := slices.Index(a.Values, ""); j >= 0 {
			return fieldErr(fmt.Sprintf("%s.values[%d]", field, j), "", "a value's label")
		}
		for j, x := range a.Num {
			bad := math.IsNaN(x) || math.IsInf(x, 0)
			if slices.Contains(XAxes, a.Name) && a.Name != RateAxis {
				bad = bad || x < 0 || x > math.MaxInt64 || x != math.Trunc(x)
			}
			if a.Name == TimeoutAxis || i == len(h.Axes)-1 {
				bad = bad || (j > 0 && x <= a.Num[j-1])
			}
			if bad {
				return fieldErr(fmt.Sprintf("%s.num[%d]", field, j), x, "a finite number (whole nanoseconds for drain_timeout, at and wait; increasing along drain_timeout and the x axis)")
			}
		}
		runs *= float64(len(a.Values))
	}
	if runs > MaxRuns {
		return fieldErr("sweep.axes", described(fmt.Sprintf("%.3g runs over %d seeds", runs, h.Seeds)), "at most %d runs in all", MaxRuns)
	}
	last := h.Axes[len(h.Axes)-1]
	if !slices.Contains(XAxes, last.Name) {
		return fieldErr(fmt.Sprintf("sweep.axes[%d].name", len(h.Axes)-1), last.Name, "the x axis last, one of %v", XAxes)
	}
	if (h.Wait != "") != slices.ContainsFunc(h.Axes, func(a AxisInfo) bool { return a.Name == WaitAxis }) {
		return fieldErr("sweep.wait", h.Wait, "what the wait axis measures when there is one, else nothing")
	}
	return nil
}

// numCells returns the number of cells the axes make. Call it only on a
// validated Header, whose product is bounded.
func (h *Header) numCells() int {
	n := 1
	for _, a := range h.Axes {
		n *= len(a.Values)
	}
	return n
}

// validate checks one cell of per runs; see Results.Validate. Field names
// in errors are relative to the cell.
func (cr *CellRuns) validate(per int) *FieldError {
	if len(cr.Lost) != per || len(cr.DrainNS) != per {
		return fieldErr("lost", described(fmt.Sprintf("%d runs (drain_ns: %d)", len(cr.Lost), len(cr.DrainNS))), "%d runs in each, as many as the shard's seeds", per)
	}
	lossRuns := 0
	for j, l := range cr.Lost {
		if l < 0 || l > MaxLostPerRun {
			return fieldErr(fmt.Sprintf("lost[%d]", j), l, "0 <= lost <= %d", MaxLostPerRun)
		}
		if l > 0 {
			lossRuns++
		}
	}
	for j, d := range cr.DrainNS {
		if d < -1 {
			return fieldErr(fmt.Sprintf("drain_ns[%d]", j), d, "a duration >= 0, or -1 when the drain never closed")
		}
	}
	counts := []struct {
		field    string
		n, limit int
		of       string
	}{
		{"timeouts", cr.Timeouts, per, "runs"},
		{"silent", cr.Silent, min(lossRuns, per-cr.Timeouts), "runs that lost messages and did not time out"},
		{"budget", cr.Budget, per, "runs"},
		{"cut", cr.Cut, lossRuns, "runs that lost messages"},
	}
	for _, c := range counts {
		if c.n < 0 || c.n > c.limit {
			return fieldErr(c.field, c.n, "0 to %d, the number of %s", max(c.limit, 0), c.of)
		}
	}
	return nil
}

// isSHA256 reports whether s is a SHA-256 in lowercase hex.
func isSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
