package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMain runs the command itself when DRAINSIM_TEST_MAIN is set, so
// that tests can start it as a process (the test binary is the drainsim
// binary then) and send it signals.
func TestMain(m *testing.M) {
	if os.Getenv("DRAINSIM_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// cpuTicks returns the CPU time process pid has used, in clock ticks
// (utime + stime of /proc/PID/stat).
func cpuTicks(t *testing.T, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	require.NoError(t, err)
	// The fields after the command name, which is in parentheses.
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	utime, err1 := strconv.Atoi(f[11])
	stime, err2 := strconv.Atoi(f[12])
	require.NoError(t, errors.Join(err1, err2))
	return utime + stime
}

// interruptRun starts drainsim with args, waits until it has worked for
// 0.3 s of CPU time (well past main's signal handler, which comes before
// any work: so the test does not depend on timing), sends SIGINT and
// returns the exit status and output.
func interruptRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to see when the process is at work")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DRAINSIM_TEST_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for cpuTicks(t, cmd.Process.Pid) < 30 {
		require.True(t, time.Now().Before(deadline), "the process did not start working: %s", errb.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v did not stop after SIGINT", args)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// TestInterruptExplore: SIGINT during explore stops the workers, prints
// the table of the seeds complete in every cell marked partial, writes
// the CSV and JSON marked the same way, leaves an existing --raw file as
// it was (a partial raw file could not be merged), and exits 130. Before
// issue 11 SIGINT lost every result and truncated the file being written.
func TestInterruptExplore(t *testing.T) {
	dir := t.TempDir()
	csv, js, raw := filepath.Join(dir, "out.csv"), filepath.Join(dir, "out.json"), filepath.Join(dir, "old.raw")
	require.NoError(t, os.WriteFile(raw, []byte("an earlier run's results\n"), 0o644))
	code, out, errOut := interruptRun(t, "explore", exampleSweep, "--seeds", "100000", "--workers", "2",
		"--csv", csv, "--json", js, "--raw", raw)
	require.Equal(t, exitInterrupted, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.Regexp(t, `(?m)^partial: \d+ of 5100000 runs \(interrupted: the first \d+ of 100000 seeds of every cell\)$`, out)
	require.Contains(t, out, "recommendation (smallest drain_timeout")
	require.Contains(t, errOut, "--raw "+raw+" not written: the run was interrupted")
	csvData := read(t, csv)
	require.Contains(t, strings.SplitN(csvData, "\n", 2)[0], ",recommended,partial")
	require.Regexp(t, `,partial: \d+ of 5100000 runs`, csvData)
	require.Contains(t, read(t, js), `"partial": {`)
	require.Equal(t, "an earlier run's results\n", read(t, raw))
}

// TestInterruptCheck: SIGINT during check stops before the next scenario,
// says how many ran, and exits 130.
func TestInterruptCheck(t *testing.T) {
	code, out, errOut := interruptRun(t, "check", "--runs", "100000000")
	require.Equal(t, exitInterrupted, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.Regexp(t, `^partial: interrupted after \d+ of 100000000 scenarios; no invariant violated in those\n$`, out)
}

// TestInterruptMatrix: SIGINT during check --matrix prints the matrix of
// the profiles that ran, marked partial, writes their counterexamples, and
// exits 130.
func TestInterruptMatrix(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cx")
	code, out, errOut := interruptRun(t, "check", "--matrix", "--profile", "all", "--runs", "10000000", "--out", dir)
	require.Equal(t, exitInterrupted, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.Regexp(t, `(?m)^partial: interrupted; c \d+ of 10000000; not run: c-3.4, `, out)
	require.Regexp(t, `(?m)^INVARIANT +c$`, out, "only the profile that ran")
	_, err := os.Stat(dir)
	require.NoError(t, err, "the counterexample directory was prepared")
	for _, line := range strings.Split(out, "\n") {
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "drainsim run "); ok {
			_, err := os.Stat(strings.Fields(cmd)[0])
			require.NoError(t, err, "the counterexamples of the profile that ran are written")
		}
	}
}
