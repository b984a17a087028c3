package explore

import (
	"math"
	"slices"
)

// z95 is the standard normal quantile for a two-sided 95 % interval.
const z95 = 1.959963984540054

// Wilson returns the 95 % Wilson score interval for a proportion of k
// successes in n trials. Unlike the normal approximation it stays inside
// [0, 1] and behaves at k = 0, where its upper bound is z²/(n+z²) ≈ 3.84/n
// (Wilson 1927; see docs/explore.md#what-is-measured). With n = 0 it returns the whole [0, 1].
func Wilson(k, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / denom
	// At k = 0 and k = n the exact bounds are 0 and 1; the formula gives
	// them up to rounding.
	lo, hi = max(0, center-half), min(1, center+half)
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return lo, hi
}

// RunsNeeded returns the smallest number of loss-free runs whose Wilson
// upper bound is at or below target: n >= z²(1-target)/target with
// z² ≈ 3.84, e.g. 3,838 for 1e-3. (The one-sided "rule of three", 3/target,
// is for a 95 % one-sided bound; the Wilson interval's upper end is a
// 97.5 % one.)
func RunsNeeded(target float64) int {
	// Start one below the closed form, in case it rounded up.
	n := max(1, int(math.Ceil(z95*z95*(1-target)/target))-1)
	for {
		if _, hi := Wilson(0, n); hi <= target {
			return n
		}
		n++
	}
}

// quantile returns the nearest-rank q-quantile of sorted: the smallest
// value with at least a share q of the values at or below it. sorted must
// not be empty.
func quantile[T int | int64](sorted []T, q float64) T {
	r := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(r, 1), len(sorted))-1]
}

// sortedCopy returns the values sorted, leaving xs alone.
func sortedCopy[T int | int64](xs []T) []T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}
