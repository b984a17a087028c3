package scenario

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPlainSafeRemembers: plainSafe gives the same verdict the second
// time a word is asked for, when it comes from plainWords, as the first,
// when YAML decided it. It catches a memo that stores the wrong verdict or
// answers from the wrong entry (true, null and 1e3 are words YAML reads as
// something else; c0 and t0.x are plain).
func TestPlainSafeRemembers(t *testing.T) {
	for _, c := range []struct {
		word string
		safe bool
	}{{"c0", true}, {"t0.x", true}, {"true", false}, {"null", false}, {"1e3", false}, {"0x1F", false}, {"a b", true}} {
		for round := range 2 {
			require.Equal(t, c.safe, plainSafe(c.word), "%q, round %d", c.word, round)
		}
	}
}
