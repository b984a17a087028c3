package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

const versionUsage = `usage: drainsim version

Prints the version of drainsim's module, the VCS revision and commit time
it was built from (marked modified when the work tree had changes), and
the Go version that built it, as the Go toolchain recorded them in the
binary. It takes no flags or arguments.

`

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", versionUsage, stderr)
	rest, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(rest) > 0 {
		return usageError(fs, stderr, fmt.Sprintf("version: unexpected argument %q", rest[0]))
	}
	bi, ok := readBuildInfo()
	if !ok {
		fmt.Fprintln(stdout, "drainsim: no build information (built without module support)")
		return 0
	}
	fmt.Fprintln(stdout, versionLine(bi))
	return 0
}

// versionLine renders build information as one line:
// "drainsim MODULE VERSION, revision REV (modified), committed TIME, GOVERSION".
// Parts the build did not record are left out.
func versionLine(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(unknown version)"
	}
	parts := []string{fmt.Sprintf("drainsim %s %s", bi.Main.Path, v)}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		parts = append(parts, "revision "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		parts = append(parts, "committed "+t)
	}
	parts = append(parts, bi.GoVersion)
	return strings.Join(parts, ", ")
}
