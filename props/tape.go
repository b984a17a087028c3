package props

import "github.com/drainsim/drainsim/sim"

// tape is a sim.Chooser that records its choices, or replays recorded
// ones, so that a perturbation drawn from a PCG can be shrunk as rapid
// shrinks its bitstream: by lowering the recorded values. Recording
// (src set), IntN takes the choice from src and appends it; replaying,
// the k-th IntN returns the k-th value clamped to [0, n), or 0 past the
// end, and records what it returned, so that the tape afterwards holds
// exactly the choices made. Float64 is one IntN of floatSteps values.
// Streams share the tape: Perturb draws on one stream only.
type tape struct {
	src    sim.Chooser
	replay []int
	pos    int
	got    []int
}

// IntN implements sim.Chooser.
func (t *tape) IntN(label string, n int) int {
	var v int
	switch {
	case t.src != nil:
		v = t.src.IntN(label, n)
	case t.pos < len(t.replay):
		v = min(max(t.replay[t.pos], 0), n-1)
	}
	t.pos++
	t.got = append(t.got, v)
	return v
}

// Float64 implements sim.Chooser.
func (t *tape) Float64(label string) float64 {
	return float64(t.IntN(label, floatSteps)) / floatSteps
}

// Stream implements sim.Chooser: the same tape.
func (t *tape) Stream(string) sim.Chooser { return t }

// maxTapeTries bounds the candidates shrinkTape runs.
const maxTapeTries = 2000

// shrinkTape returns a tape no greater than choices (in the order of
// tapes: shorter, or equal up to a smaller value) on which fails still
// holds, as small as a greedy search finds: it zeroes runs of choices,
// halving their length, then lowers each choice by binary search, until a
// pass changes nothing. fails must be deterministic; choices is not
// modified. fails returns the tape its replay actually used, which
// becomes the current tape when it fails.
func shrinkTape(choices []int, fails func([]int) ([]int, bool)) []int {
	cur := trimZeros(choices)
	tries := 0
	try := func(cand []int) bool {
		if tries >= maxTapeTries {
			return false
		}
		tries++
		used, ok := fails(cand)
		if ok {
			cur = trimZeros(used)
		}
		return ok
	}
	for changed := true; changed && tries < maxTapeTries; {
		changed = false
		for size := len(cur); size >= 1; size /= 2 {
			for at := 0; at+size <= len(cur); at += size {
				cand := append([]int(nil), cur...)
				zeroed := false
				for k := at; k < at+size; k++ {
					zeroed = zeroed || cand[k] != 0
					cand[k] = 0
				}
				if zeroed && try(cand) {
					changed = true
				}
			}
		}
		for k := 0; k < len(cur); k++ {
			// Lower cur[k] to the least value that still fails, assuming
			// failure is monotone in it (when it is not, this still only
			// accepts failing tapes).
			lo, hi := 0, cur[k] // hi fails
			for lo < hi {
				mid := lo + (hi-lo)/2
				cand := append([]int(nil), cur...)
				cand[k] = mid
				if try(cand) {
					changed = true
					if k >= len(cur) {
						break
					}
					hi = cur[k]
				} else {
					lo = mid + 1
				}
			}
		}
	}
	return cur
}

// trimZeros drops the zeros at the end of a tape: a replay takes 0 past
// its end.
func trimZeros(t []int) []int {
	n := len(t)
	for n > 0 && t[n-1] == 0 {
		n--
	}
	return t[:n:n]
}
