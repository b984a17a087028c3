package conformance

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A natsMutant re-introduces one of nats.go's historical drain bugs
// (docs/profiles/go.md#history-the-mutations-reproduce) into a copy of the
// v1.55.0 sources: each edit's old text is replaced by its new one, once,
// in nats.go.
type natsMutant struct {
	bug   string // the reference's name of the bug
	what  string
	edits []edit
	want  string // the invariant the property check must find violated
}

// edit is one textual change of a source file.
type edit struct{ old, new string }

// natsMutants are the bugs whose effect a real run's records show (the
// others, B2 and B6, need the records a real run lacks: which removal a
// drain made, the server's acceptance of a reply; see notOnReal).
var natsMutants = []natsMutant{
	{bug: "B1", what: "publishes refused while DRAINING_SUBS, not only while DRAINING_PUBS",
		edits: []edit{{"\tif nc.isDrainingPubs() {\n\t\tnc.mu.Unlock()\n\t\treturn ErrConnectionDraining",
			"\tif nc.isDraining() {\n\t\tnc.mu.Unlock()\n\t\treturn ErrConnectionDraining"}},
		want: "api-refusal-rules"},
	{bug: "B5", what: "Drain while reconnecting returns ErrConnectionReconnecting without closing the connection",
		edits: []edit{{"\t\tnc.mu.Unlock()\n\t\tnc.Close()\n\t\treturn ErrConnectionReconnecting",
			"\t\tnc.mu.Unlock()\n\t\treturn ErrConnectionReconnecting"}},
		want: "api-refusal-rules"},
	{bug: "B7", what: "the drain's close runs the closed callback even with NoCallbacksAfterClientClose",
		edits: []edit{{"\t// Move to closed state.\n\tnc.Close()", "\t// Move to closed state.\n\tnc.close(CLOSED, true, nil)"}},
		want:  "closed-callback"},
	{bug: "B12", what: "no IsClosed checks in the drain's wait loop and before DRAINING_PUBS: a connection closed during the drain is revived",
		edits: []edit{
			{"\t\tif nc.IsClosed() {\n\t\t\treturn\n\t\t}\n\t\tif nc.NumSubscriptions() == min {", "\t\tif nc.NumSubscriptions() == min {"},
			{"\tnc.mu.Lock()\n\tif nc.isClosed() {\n\t\tnc.mu.Unlock()\n\t\treturn\n\t}\n\tnc.changeConnStatus(DRAINING_PUBS)", "\tnc.mu.Lock()\n\tnc.changeConnStatus(DRAINING_PUBS)"},
		},
		want: "closed-is-final"},
}

// TestRealPropsMutants shows the property check of the real client
// catching re-introduced nats.go bugs: for each of natsMutants it copies
// nats.go v1.55.0 from the module cache, applies the mutation, and runs
// TestRealProps in a child `go test` built with a module file that
// replaces nats.go by the copy; the child must fail, reporting the
// expected invariant. Asked for with DRAINSIM_MUTANTS=1 (seeds per mutant:
// DRAINSIM_REALPROPS, default 3000; the child stops at its first finding):
//
//	DRAINSIM_MUTANTS=1 go test ./conformance -run TestRealPropsMutants -v -timeout 30m
func TestRealPropsMutants(t *testing.T) {
	if os.Getenv("DRAINSIM_MUTANTS") == "" {
		t.Skip("set DRAINSIM_MUTANTS=1 to check mutated copies of nats.go v1.55.0 (a child go test per mutant)")
	}
	seeds := "3000"
	if s := os.Getenv("DRAINSIM_REALPROPS"); s != "" {
		_, err := strconv.Atoi(s)
		require.NoError(t, err, "DRAINSIM_REALPROPS=%q: want a number of seeds", s)
		seeds = s
	}
	cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	require.NoError(t, err)
	src := filepath.Join(strings.TrimSpace(string(cache)), "github.com/nats-io/nats.go@v1.55.0")
	gomod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	gosum, err := os.ReadFile("../go.sum")
	require.NoError(t, err)
	for _, m := range natsMutants {
		t.Run(m.bug, func(t *testing.T) {
			dir := t.TempDir()
			copyDir := filepath.Join(dir, "nats.go")
			require.NoError(t, os.CopyFS(copyDir, os.DirFS(src)))
			file := filepath.Join(copyDir, "nats.go")
			code, err := os.ReadFile(file)
			require.NoError(t, err)
			text := string(code)
			for _, e := range m.edits {
				require.Equal(t, 1, strings.Count(text, e.old), "%s: the code to mutate is not in nats.go v1.55.0 exactly once:\n%s", m.bug, e.old)
				text = strings.Replace(text, e.old, e.new, 1)
			}
			require.NoError(t, os.WriteFile(file, []byte(text), 0o644))
			modfile := filepath.Join(dir, "mutant.mod")
			require.NoError(t, os.WriteFile(modfile, append(gomod, []byte("\nreplace github.com/nats-io/nats.go => "+copyDir+"\n")...), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "mutant.sum"), gosum, 0o644))
			cmd := exec.Command("go", "test", "-modfile="+modfile, ".", "-run", "^TestRealProps$", "-count=1", "-v")
			cmd.Env = append(os.Environ(), "DRAINSIM_REALPROPS="+seeds, "DRAINSIM_REALPROPS_OUT="+dir)
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "%s (%s): the property check found nothing:\n%s", m.bug, m.what, out)
			require.Contains(t, string(out), "violates "+m.want, "%s (%s): want %s violated:\n%s", m.bug, m.what, m.want, out)
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, "seeds in") || strings.Contains(line, "violates") || strings.Contains(line, "shrunk to") {
					t.Logf("%s: %s", m.bug, strings.TrimSpace(line))
				}
			}
		})
	}
}
