// Package docref checks the references into the project's documentation:
// the docs sections that drainsim's outputs cite (a profile's Sources, an
// inferred behaviour's Ref, a known violation's Source, e.g.
// "docs/profiles/go.md#drain-timeout") and the links between README.md and
// the files under docs/. A reference names a file relative to the module
// root and, after "#", the anchor GitHub gives one of its headings, so that
// a user of the repository can follow it; the tests of the packages that
// print references check each with Check.
package docref

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// refPattern matches a reference to a docs file, with an optional anchor.
var refPattern = regexp.MustCompile(`docs/[A-Za-z0-9_./-]+\.md(?:#[\p{L}\p{N}_-]+)?`)

// Find returns the docs references in s, in order.
func Find(s string) []string {
	return refPattern.FindAllString(s, -1)
}

// Check reports whether ref ("docs/FILE.md" or "docs/FILE.md#anchor",
// relative to the module root root) names an existing file and, when it
// has an anchor, one of that file's headings.
func Check(root, ref string) error {
	file, anchor, _ := strings.Cut(ref, "#")
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return fmt.Errorf("reference %q: %w", ref, err)
	}
	if anchor == "" {
		return nil
	}
	if !Anchors(data)[anchor] {
		return fmt.Errorf("reference %q: %s has no heading whose anchor is %q", ref, file, anchor)
	}
	return nil
}

var (
	linkInHeading = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	fence         = regexp.MustCompile("^\\s*(```|~~~)")
)

// Anchors returns the anchors GitHub gives the headings of a Markdown
// document: the heading's text lower-cased, links reduced to their text,
// every character but letters, digits, spaces, hyphens and underscores
// removed, spaces turned into hyphens, and "-1", "-2", ... appended to
// repeats. Lines inside fenced code blocks are not headings.
func Anchors(markdown []byte) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	open := ""
	sc := bufio.NewScanner(bytes.NewReader(markdown))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := fence.FindStringSubmatch(line); m != nil {
			switch open {
			case "":
				open = m[1]
			case m[1]:
				open = ""
			}
			continue
		}
		if open != "" || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimLeft(line, "#")
		if !strings.HasPrefix(text, " ") {
			continue
		}
		a := slug(text)
		if n := seen[a]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// slug is GitHub's anchor for a heading's text.
func slug(text string) string {
	text = linkInHeading.ReplaceAllString(strings.TrimSpace(text), "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
