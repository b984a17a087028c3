package scenario

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The values of ties:. TiesScheduled, the default, runs equal-time events
// in the order they were scheduled; TiesPermute lets the Chooser order them.
const (
	TiesScheduled = "scheduled"
	TiesPermute   = "permute"
)

// MaxChoices is the longest choices: list.
const MaxChoices = MaxItems

// ties decodes ties: scheduled or permute.
func (d *decoder) ties(n *yaml.Node, path string) (bool, error) {
	v, err := d.scalar(n, path, "scheduled or permute", "!!str")
	if err != nil {
		return false, err
	}
	switch v {
	case TiesScheduled:
		return false, nil
	case TiesPermute:
		return true, nil
	}
	return false, d.errorf(n.Line, path, "unknown value %q: want %s (equal-time events in scheduling order, the default) or %s (in an order the run's choices decide)",
		v, TiesScheduled, TiesPermute)
}

// choices decodes choices: a list of option indices, each from 0 to
// MaxCount. An empty list is kept (not nil): every choice takes option 0.
func (d *decoder) choices(n *yaml.Node, path string) ([]int, error) {
	items, err := d.sequence(n, path)
	if err != nil {
		return nil, err
	}
	if len(items) > MaxChoices {
		return nil, d.errorf(n.Line, path, "%d choices exceed the maximum of %d", len(items), MaxChoices)
	}
	out := make([]int, len(items))
	for i, item := range items {
		if out[i], err = d.between(item, index(path, i), 0, MaxCount); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// choices renders a choices: list in flow style.
func choices(vs []int) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.Itoa(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
