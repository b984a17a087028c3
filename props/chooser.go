package props

import (
	"pgregory.net/rapid"

	"github.com/drainsim/drainsim/sim"
)

// floatSteps is the resolution of RapidChooser's Float64: draws are
// k/floatSteps for an integer k, so shrinking k shrinks the value towards 0.
const floatSteps = 1 << 24

// RapidChooser returns a sim.Chooser that takes every decision from rapid's
// bitstream, so that a failing property shrinks the model's choices
// (latencies, handler durations, drain order, queue picks) along with the
// generated scenario. Each IntN(label, n) draws rapid.IntRange(0, n-1)
// under the label; Float64 draws an integer in [0, 2^24) and scales it into
// [0, 1). A draw with only one possible value (n == 1) takes no bits.
//
// Rapid has a single bitstream, so Stream(name) does not make an
// independent source as sim.PCG does: it returns a chooser whose labels are
// prefixed with "name/", which keeps the draws of different subsystems
// apart in rapid's logs. Like rapid itself, the chooser must be used from
// one goroutine.
func RapidChooser(t *rapid.T) sim.Chooser {
	return &rapidChooser{t: t}
}

type rapidChooser struct {
	t      *rapid.T
	prefix string
}

// IntN implements sim.Chooser.
func (c *rapidChooser) IntN(label string, n int) int {
	if n <= 0 {
		panic("props: RapidChooser.IntN with n <= 0")
	}
	if n == 1 {
		return 0
	}
	return rapid.IntRange(0, n-1).Draw(c.t, c.prefix+label)
}

// Float64 implements sim.Chooser.
func (c *rapidChooser) Float64(label string) float64 {
	k := rapid.IntRange(0, floatSteps-1).Draw(c.t, c.prefix+label)
	return float64(k) / floatSteps
}

// Stream implements sim.Chooser.
func (c *rapidChooser) Stream(name string) sim.Chooser {
	return &rapidChooser{t: c.t, prefix: c.prefix + name + "/"}
}
