package props

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/internal/docref"
	"github.com/drainsim/drainsim/model"
)

// checkDocRefs requires what, a source string drainsim prints, to cite at
// least one docs section and every one it cites to exist, and to cite
// nothing a user of the repository lacks (the research notes in
// ../shared/reference, their "§" numbers).
func checkDocRefs(t *testing.T, what, s string) {
	t.Helper()
	require.NotContains(t, s, "§", "%s: %q cites a section number of notes users do not have", what, s)
	require.NotContains(t, s, "reference", "%s: %q cites the research notes users do not have", what, s)
	refs := docref.Find(s)
	require.NotEmpty(t, refs, "%s: %q names no docs section (docs/profiles/NAME.md#anchor)", what, s)
	for _, ref := range refs {
		require.NoError(t, docref.Check("..", ref), "%s", what)
	}
}

// TestProfileDocRefsResolve: every profile's Sources and every inferred
// behaviour's Ref (the JSON outcome's profile_inferred[].ref, drainsim
// profiles, the matrix) cite a heading of a file under docs/ that exists.
// It fails on a broken ref: a Ref back at "§9.2", an anchor with a typo, or
// a heading renamed without its refs (the mutation it catches: editing the
// CS-M4 Ref to "docs/profiles/csharp-v1.md#cs-m4").
func TestProfileDocRefsResolve(t *testing.T) {
	for _, name := range model.ProfileNames() {
		p, err := model.LookupProfile(name)
		require.NoError(t, err)
		require.NotEmpty(t, p.Sources, "profile %s names no sources", name)
		for i, s := range p.Sources {
			checkDocRefs(t, fmt.Sprintf("%s Sources[%d]", name, i), s)
		}
		for _, inf := range p.Inferred {
			require.Len(t, docref.Find(inf.Ref), 1, "profile %s inferred %s: Ref %q is one docs reference", name, inf.ID, inf.Ref)
			checkDocRefs(t, name+" inferred "+inf.ID, inf.Ref)
		}
	}
}

// TestKnownViolationRefsResolve: the source of every known violation of
// the matrix (printed in the matrix, in examples/matrix and by drainsim
// check) cites a docs section that exists (the mutation it catches: a
// Source back at "§5.2").
func TestKnownViolationRefsResolve(t *testing.T) {
	for _, k := range KnownViolations() {
		checkDocRefs(t, k.Profile+" × "+k.Invariant, k.Source)
	}
}
