package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drainsim/drainsim/sim"
)

// MaxDurationsFileSize is the largest file of durations empirical(FILE)
// reads, in bytes: 4 MiB holds sim.MaxTablePoints durations of up to 15
// characters each, far more than a measured sample needs.
const MaxDurationsFileSize = 4 << 20

// empirical decodes empirical(FILE), s being its text: the distribution of
// the durations recorded in FILE, read now, at parse time, so that a run
// never touches the file system. FILE is relative to the directory of the
// file being parsed (d.file). Errors name the scenario's line and field and,
// for a bad duration, FILE's line and its text.
func (d *decoder) empirical(n *yaml.Node, path, s string) (sim.Dist, error) {
	open := strings.IndexByte(s, '(')
	name := strings.TrimSpace(s[open+1 : len(s)-1])
	if name == "" {
		return sim.Dist{}, d.errorf(n.Line, path, "distribution %q: missing file name: want empirical(FILE), FILE holding one duration per line", s)
	}
	full := name
	if !filepath.IsAbs(name) {
		full = filepath.Join(filepath.Dir(d.file), name)
	}
	data, err := readDurationsFile(full)
	if err != nil {
		return sim.Dist{}, d.errorf(n.Line, path, "distribution %q: reading %s: %v", s, full, err)
	}
	var values []time.Duration
	for i, line := range strings.Split(string(data), "\n") {
		text, _, _ := strings.Cut(line, "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		v, err := sim.ParseDuration(text)
		switch {
		case err != nil || v < 0 || v > MaxDuration:
			return sim.Dist{}, d.errorf(n.Line, path, "distribution %q: %s:%d: %q: want a duration between 0 and %dh such as 12ms or 1.5s, one per line (# starts a comment)",
				s, full, i+1, strings.TrimSpace(line), MaxDuration/time.Hour)
		case len(values) == sim.MaxTablePoints:
			return sim.Dist{}, d.errorf(n.Line, path, "distribution %q: %s:%d: more than %d durations", s, full, i+1, sim.MaxTablePoints)
		}
		values = append(values, v)
	}
	if len(values) == 0 {
		return sim.Dist{}, d.errorf(n.Line, path, "distribution %q: %s holds no durations: want one per line", s, full)
	}
	v, err := sim.NewEmpirical("empirical("+name+")", values)
	if err != nil {
		return sim.Dist{}, d.wrap(n.Line, path, err)
	}
	return v, nil
}

// readDurationsFile reads at most MaxDurationsFileSize bytes of the file at
// path, refusing a larger one, anything but a regular file (a pipe or a
// device such as /dev/zero) and text holding NUL bytes (a binary file given
// by mistake; other bad bytes fail as a bad line).
func readDurationsFile(path string) ([]byte, error) {
	// Stat before opening: opening a named pipe would block the parser.
	st, err := os.Stat(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxDurationsFileSize+1))
	switch {
	case err != nil:
		return nil, unwrapPath(err)
	case len(data) > MaxDurationsFileSize:
		return nil, fmt.Errorf("file is larger than %d bytes (%d MiB), the most a file of durations may hold", MaxDurationsFileSize, MaxDurationsFileSize>>20)
	case bytes.IndexByte(data, 0) >= 0:
		return nil, errors.New("file holds NUL bytes: want text, one duration per line")
	}
	return data, nil
}
