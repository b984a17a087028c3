package conformance

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drainsim/drainsim/internal/update"
)

// clusterAgreementTable is the per-topology summary at the top of
// docs/conformance/cluster.md (clusterSummary's table, written by the full
// cluster run): from its header line to the first blank line.
func clusterAgreementTable(doc string) (string, bool) {
	_, rest, ok := strings.Cut(doc, "\n| topology | agree |")
	if !ok {
		return "", false
	}
	table, _, _ := strings.Cut("| topology | agree |"+rest, "\n\n")
	return table + "\n", true
}

// TestReadmeShowsClusterAgreement: the README's cluster section shows the
// per-topology agreement with real nats-server clusters exactly as the
// last full cluster run measured it (docs/conformance/cluster.md), so a
// new full run that changes a figure fails here until `-update` copies
// it. (Break it catches: a README table edited by hand, or left behind.)
func TestReadmeShowsClusterAgreement(t *testing.T) {
	doc, err := os.ReadFile("../docs/conformance/cluster.md")
	require.NoError(t, err)
	table, ok := clusterAgreementTable(string(doc))
	require.True(t, ok, "docs/conformance/cluster.md has no per-topology table (| topology | agree | ...)")
	if update.Enabled() {
		require.NoError(t, update.WriteSection("../README.md", "cluster-agreement", table))
		return
	}
	got, err := update.Section("../README.md", "cluster-agreement")
	require.NoError(t, err)
	require.Equal(t, table, got, "README.md's cluster-agreement block differs from docs/conformance/cluster.md; run go test ./conformance -run TestReadmeShowsClusterAgreement -update")
}
