package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// excerptMark introduces a fenced block (``` or ~~~) in the README or
// docs/ that quotes part of a command's output: `<!-- excerpt of: drainsim
// ARGS -->` on the line before the block.
var excerptMark = regexp.MustCompile(`^<!-- excerpt of: drainsim (.+) -->$`)

// docExcerpt is one quoted output: where it is, the command, and the lines
// it quotes.
type docExcerpt struct {
	where string // file:line of the mark
	args  []string
	lines []string
}

// docExcerpts returns every excerpt of the README and docs/*.md. In a block,
// a first line "$ drainsim ..." (the command, for the reader) and lines
// "..." (output left out) are not quoted output.
func docExcerpts(t *testing.T, root string) []docExcerpt {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var out []docExcerpt
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		for i := 0; i < len(lines); i++ {
			m := excerptMark.FindStringSubmatch(lines[i])
			if m == nil {
				continue
			}
			rel, _ := filepath.Rel(root, f)
			e := docExcerpt{where: rel + ":" + strconv.Itoa(i+1), args: strings.Fields(m[1])}
			var fence string
			if i+1 < len(lines) {
				if f := strings.TrimSpace(lines[i+1]); strings.HasPrefix(f, "```") || strings.HasPrefix(f, "~~~") {
					fence = f[:3]
				}
			}
			if fence == "" {
				t.Fatalf("%s: an excerpt mark must come right before a fenced block", e.where)
			}
			indent := lines[i+1][:len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " "))]
			j := i + 2
			for ; j < len(lines) && strings.TrimSpace(lines[j]) != fence; j++ {
				l := strings.TrimRight(strings.TrimPrefix(lines[j], indent), " ")
				if strings.TrimSpace(l) == "..." || (j == i+2 && strings.HasPrefix(l, "$ drainsim ")) {
					continue
				}
				e.lines = append(e.lines, l)
			}
			if len(e.lines) == 0 {
				t.Fatalf("%s: the excerpt quotes nothing", e.where)
			}
			out = append(out, e)
			i = j
		}
	}
	return out
}

// TestDocExcerptsAreCurrent: every output quoted in the README and docs/
// under an excerpt mark is what the command prints now: each quoted line
// appears, in order, among the lines of its stdout and stderr. The command
// runs from the repository root; an --out file goes to a temporary
// directory and is named as written in the output. It fails when a
// quoted line is edited or the command's output changes (a sample that
// would silently go stale), and when no excerpt is found at all.
func TestDocExcerptsAreCurrent(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	excerpts := docExcerpts(t, root)
	if len(excerpts) == 0 {
		t.Fatal("no excerpt marks found in README.md or docs/")
	}
	t.Chdir(root)
	for _, e := range excerpts {
		args := append([]string(nil), e.args...)
		var outAs, outTmp string
		for k := 0; k+1 < len(args); k++ {
			if args[k] == "--out" {
				outAs, outTmp = args[k+1], filepath.Join(t.TempDir(), filepath.Base(args[k+1]))
				args[k+1] = outTmp
			}
		}
		_, stdout, stderr := runCLI(args...)
		got := stdout + stderr
		if outTmp != "" {
			got = strings.ReplaceAll(got, outTmp, outAs)
		}
		var have []string
		for _, l := range strings.Split(got, "\n") {
			have = append(have, strings.TrimRight(l, " "))
		}
		k := 0
		for _, want := range e.lines {
			for k < len(have) && have[k] != want {
				k++
			}
			if k == len(have) {
				t.Errorf("%s: `drainsim %s` no longer prints (in this order):\n  %s\nit prints:\n%s", e.where, strings.Join(e.args, " "), want, got)
				break
			}
			k++
		}
	}
}
