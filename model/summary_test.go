package model

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIDRanges: consecutive ids collapse into ranges, order is kept, and
// after maxRanges runs the rest is counted, not listed. Fails if the cap
// goes (the summary lines of over 5,000 characters for
// interleaved publishers) or counts the ids left wrongly.
func TestIDRanges(t *testing.T) {
	require.Equal(t, "[]", idRanges(nil))
	require.Equal(t, "[1-5,7,9-10]", idRanges([]int{1, 2, 3, 4, 5, 7, 9, 10}))
	require.Equal(t, "[3,1-2]", idRanges([]int{3, 1, 2}))
	var interleaved []int
	for i := 1; i <= 700; i++ {
		interleaved = append(interleaved, i, 700+i)
	}
	require.Equal(t, "[1,701,2,702,3,703,4,704,5,705,6,706,7,707,8,708,9,709,10,710,... +1380 more]", idRanges(interleaved))
}
