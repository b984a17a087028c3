package props

import (
	"strings"
	"testing"
)

// articles and determiners that cannot follow an article.
var determiners = map[string]bool{"a": true, "an": true, "the": true, "its": true, "their": true, "his": true, "her": true}

// TestStatementsRead: every invariant's statement and precondition is free
// of doubled words and of an article followed by a determiner. It catches
// the garbled queue-drain-no-loss statement of issue 13 ("unless a its loss
// is explained as no-loss-under-drain explains it"): put "a its" back and
// it fails.
func TestStatementsRead(t *testing.T) {
	for _, inv := range Catalogue() {
		for what, text := range map[string]string{"statement": inv.Statement, "precondition": inv.Precondition} {
			words := strings.Fields(strings.ToLower(text))
			for i := 1; i < len(words); i++ {
				prev, w := strings.Trim(words[i-1], ",.:;()"), strings.Trim(words[i], ",.:;()")
				if prev == w && prev != "" && !strings.ContainsAny(words[i-1], ",.:;)") {
					t.Errorf("%s %s: %q twice: %q", inv.ID, what, w, text)
				}
				if (prev == "a" || prev == "an" || prev == "the") && determiners[w] {
					t.Errorf("%s %s: %q %q: %q", inv.ID, what, prev, w, text)
				}
			}
		}
	}
}
