package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
)

// An output is a file a command will write, named by a flag.
type output struct {
	flag string // e.g. "--csv"
	path string // as given
	// target is where the file is written: path made absolute, and
	// through a symbolic link, the file it points to. Set by planOutputs.
	target string
}

// An input is a file a command reads, which no output may overwrite.
type input struct {
	what string // e.g. "the sweep file"
	path string
}

// planOutputs checks, before any work starts, every output the command
// will write: each must be a new or regular file (not a directory or a
// device) in a directory the command can create files in; no two may be
// the same file, and none may be one of the inputs (compared as cleaned
// absolute paths, and with os.SameFile for files that exist). Outputs with
// an empty path are not written and are dropped. It returns the outputs
// with their targets set.
func planOutputs(outs []output, inputs []input) ([]output, error) {
	var plan []output
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		var err error
		if o.target, err = outputTarget(o.path); err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.flag, o.path, err)
		}
		for _, p := range plan {
			if sameFile(o.target, p.target) {
				return nil, fmt.Errorf("%s %s and %s %s are the same file: give each output its own", p.flag, p.path, o.flag, o.path)
			}
		}
		for _, in := range inputs {
			if sameFile(o.target, in.path) {
				return nil, fmt.Errorf("%s %s is %s (%s): drainsim does not overwrite its inputs", o.flag, o.path, in.what, in.path)
			}
		}
		if err := checkWritable(filepath.Dir(o.target)); err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.flag, o.path, err)
		}
		plan = append(plan, o)
	}
	return plan, nil
}

// outputTarget returns where an output named path is written: its cleaned
// absolute path or, for a symbolic link, the file it points to. An
// existing path must be a regular file.
func outputTarget(path string) (string, error) {
	abs, err := resolve(path, 0)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return abs, nil
	case err != nil:
		return "", fmt.Errorf("cannot write there: %w", withoutPath(err))
	case st.IsDir():
		return "", errors.New("is a directory: want a file name")
	case !st.Mode().IsRegular():
		return "", fmt.Errorf("is not a regular file (%s): drainsim writes a new file and renames it over the old one", st.Mode().Type())
	}
	return abs, nil
}

// resolve returns path made absolute, with the symbolic links of its
// directory and of the file itself followed, also to a file that does not
// exist yet; depth counts the links followed so far.
func resolve(path string, depth int) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	st, err := os.Lstat(abs)
	if err != nil || st.Mode()&fs.ModeSymlink == 0 {
		return abs, nil
	}
	if depth >= 40 {
		return "", errors.New("too many levels of symbolic links")
	}
	link, err := os.Readlink(abs)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(link) {
		link = filepath.Join(filepath.Dir(abs), link)
	}
	return resolve(link, depth+1)
}

// sameFile reports whether two paths name one file: the same cleaned
// absolute path, or existing files that os.SameFile says are one.
func sameFile(a, b string) bool {
	aa, errA := filepath.Abs(a)
	bb, errB := filepath.Abs(b)
	if errA == nil && errB == nil && aa == bb {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// checkWritable reports whether files can be created in dir, by creating
// and removing one.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".drainsim-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in directory %s: %w", dir, withoutPath(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// withoutPath returns the cause of a *fs.PathError, for messages that
// name the path already (or would name a temporary file), else err.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeFileAtomic writes path through a temporary file in the same
// directory, renamed over path once complete: a failed or interrupted
// write leaves any existing file as it was. An existing file keeps its
// permissions; a new one gets 0644.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	s, err := stageFile(path, write)
	if err != nil {
		return err
	}
	return s.commit()
}

// stagedFile is a file writeFileAtomic has written under its temporary
// name but not yet synced nor renamed over its path: commit does that.
// Staging many files before committing any lets their syncs go to the
// disk together (writeMatrixCounterexamples).
type stagedFile struct {
	f    *os.File
	path string
}

// stageFile writes what write writes to a temporary file in path's
// directory, with the permissions path will have (writeFileAtomic).
func stageFile(path string, write func(io.Writer) error) (_ *stagedFile, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	s := &stagedFile{f: f, path: path}
	defer func() {
		if err != nil {
			s.abort()
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return nil, err
	}
	if err = bw.Flush(); err != nil {
		return nil, err
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	if err = f.Chmod(mode); err != nil {
		return nil, err
	}
	return s, nil
}

// commit syncs the staged file and renames it over its path; on an
// error the temporary file is removed.
func (s *stagedFile) commit() (err error) {
	defer func() {
		if err != nil {
			s.abort()
		}
	}()
	if err = s.f.Sync(); err != nil {
		return err
	}
	if err = s.f.Close(); err != nil {
		return err
	}
	return os.Rename(s.f.Name(), s.path)
}

// abort removes the staged file, leaving its path as it was.
func (s *stagedFile) abort() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// counterexampleMark starts the first line of every counterexample file
// `check --matrix` writes: "# INVARIANT fails under profile P: ...".
const counterexampleMark = " fails under profile "

// isCounterexample reports whether the directory entry e of dir is a
// counterexample an earlier `check --matrix` wrote: a regular file
// PROFILE--INVARIANT.yaml whose first line is its header.
func isCounterexample(dir string, e fs.DirEntry) bool {
	name := e.Name()
	if !e.Type().IsRegular() || !strings.HasSuffix(name, ".yaml") || !strings.Contains(name, "--") {
		return false
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	line, _, _ := bytes.Cut(head[:n], []byte("\n"))
	return bytes.HasPrefix(line, []byte("# ")) && bytes.Contains(line, []byte(counterexampleMark))
}

// prepareCounterexampleDir checks, before the matrix runs, the directory
// --out names: a new directory is created; an existing one may hold only
// counterexamples of earlier runs (isCounterexample), which
// writeMatrixCounterexamples removes before the new ones are written, and must
// be writable.
func prepareCounterexampleDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("--out %s: counterexample directory: %w", dir, err)
		}
	case err != nil:
		return fmt.Errorf("--out %s: counterexample directory: %w", dir, err)
	}
	for _, e := range entries {
		if !isCounterexample(dir, e) {
			return fmt.Errorf("--out %s: counterexample directory holds %s, which drainsim did not write: give a new directory, or one that only holds counterexamples of an earlier check --matrix", dir, e.Name())
		}
	}
	if err := checkWritable(dir); err != nil {
		return fmt.Errorf("--out %s: counterexample directory: %w", dir, err)
	}
	return nil
}

// interrupt is closed at the first SIGINT when main runs a command that
// stops early and reports what is complete (explore, check); it is nil,
// never closed, otherwise (and in tests that call mainWithArgs).
var interrupt <-chan struct{}

// interruptible names the commands that handle SIGINT themselves.
var interruptible = []string{"explore", "check"}

// catchInterrupt makes the first SIGINT close the returned channel instead
// of ending the process; a second one ends it as usual.
func catchInterrupt() <-chan struct{} {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	context.AfterFunc(ctx, stop)
	return ctx.Done()
}

// interrupted reports whether the interrupt has come.
func interrupted() bool {
	select {
	case <-interrupt:
		return true
	default:
		return false
	}
}

// exitInterrupted is the exit status after SIGINT: 128 + 2, as a shell
// reports a process that SIGINT ended.
const exitInterrupted = 130
