package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRunWindowFlags: --from and --to apply to the mermaid and chrome
// formats only, and the window must not be empty or start before 0.
// Catches: the flags silently ignored by the other formats, or a
// backwards window accepted.
func TestRunWindowFlags(t *testing.T) {
	f := "../../examples/sub-drain.yaml"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", f, "--from", "1ms"}, "run: --from works only with --format mermaid or chrome, not text"},
		{[]string{"run", f, "--format", "json", "--to", "1ms"}, "run: --to works only with --format mermaid or chrome, not json"},
		{[]string{"run", f, "--format", "chrome", "--from", "5ms", "--to", "5ms"}, "run: --to 5ms: want a time after --from (5ms)"},
		{[]string{"run", f, "--format", "mermaid", "--from", "-1ms"}, "run: --from -1ms: want a time of 0 or later"},
		{[]string{"run", f, "--format", "mermaid", "--from", "soon"}, `invalid value "soon" for flag -from`},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Empty(t, out, "%v", c.args)
		require.Contains(t, errOut, c.want, "%v", c.args)
	}
}

// TestRunMermaidSizeWarning: a diagram over the renderer's 50,000
// characters comes with one line on stderr giving its size; a window that
// fits does not. Catches: no warning (the issue), or a warning for a
// diagram that fits.
func TestRunMermaidSizeWarning(t *testing.T) {
	f := "../../examples/backlog-1000.yaml"
	code, out, errOut := runCLI("run", f, "--format", "mermaid", "--fail-on", "none")
	require.Equal(t, 0, code, errOut)
	require.Greater(t, len(out), 50000)
	require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	require.Contains(t, errOut, "drainsim run: warning: the Mermaid diagram is 617432 characters, over the renderer's default limit of 50000")
	require.Contains(t, errOut, "--from and --to")

	code, out, errOut = runCLI("run", f, "--format", "mermaid", "--fail-on", "none", "--from", "10ms", "--to", "20ms")
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
	require.Less(t, len(out), 50000)
	require.True(t, strings.HasPrefix(out, "sequenceDiagram\n"))
}
