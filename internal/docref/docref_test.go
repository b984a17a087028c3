package docref

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/drainsim/drainsim/internal/update" // go test ./... -update
)

const root = "../.."

func TestAnchors(t *testing.T) {
	md := []byte("# Profile `go`: nats.go v1.55.0\n## Drain timeout\n```\n# not a heading\n```\n" +
		"### CS-M4: drained while the [last](x.md) callback runs\n## Drain timeout\n#hashtag\n")
	got := Anchors(md)
	require.Equal(t, map[string]bool{
		"profile-go-natsgo-v1550":                    true,
		"drain-timeout":                              true,
		"drain-timeout-1":                            true,
		"cs-m4-drained-while-the-last-callback-runs": true,
	}, got)
}

func TestFind(t *testing.T) {
	require.Equal(t, []string{"docs/profiles/go.md#drain-timeout", "docs/conformance/c-3.4.md"},
		Find("seen on v1.55.0 (docs/profiles/go.md#drain-timeout, docs/conformance/c-3.4.md)"))
	require.Empty(t, Find("nats.go B12, fixed in v1.55.0 (§7)"))
}

// TestCheck: a reference to a missing file or to a heading the file does
// not have is an error naming both (the break it catches: a ref whose
// anchor has a typo, or a renamed heading).
func TestCheck(t *testing.T) {
	require.NoError(t, Check(root, "docs/profiles/go.md#drain-timeout"))
	require.NoError(t, Check(root, "docs/profiles/go.md"))
	err := Check(root, "docs/profiles/go.md#drain-timeouts")
	require.ErrorContains(t, err, `docs/profiles/go.md has no heading whose anchor is "drain-timeouts"`)
	err = Check(root, "docs/profiles/cobol.md#drain-timeout")
	require.ErrorContains(t, err, `reference "docs/profiles/cobol.md#drain-timeout"`)
}

var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestMarkdownLinksResolve: every relative link of README.md and of the
// Markdown files under docs/ names an existing file or directory, and a
// link to a heading names one the target has (the break it catches: a
// link left pointing at a section moved out of the README, or at
// ../shared/reference, which users of the repository do not have).
func TestMarkdownLinksResolve(t *testing.T) {
	files := []string{filepath.Join(root, "README.md")}
	require.NoError(t, filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	}))
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		require.NotContains(t, string(data), "shared/reference", "%s points into ../shared/reference, which users do not have", file)
		for _, m := range link.FindAllStringSubmatch(withoutCode(string(data)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			}
			info, err := os.Stat(dest)
			require.NoError(t, err, "%s: link %q", file, target)
			if anchor != "" && !info.IsDir() && strings.HasSuffix(dest, ".md") {
				md, err := os.ReadFile(dest)
				require.NoError(t, err)
				require.True(t, Anchors(md)[anchor], "%s: link %q: %s has no heading whose anchor is %q", file, target, dest, anchor)
			}
			checked++
		}
	}
	require.Greater(t, checked, 50, "links found")
}

// withoutCode blanks fenced code blocks and inline code spans, where a
// "](...)" is text, not a link.
func withoutCode(md string) string {
	var b strings.Builder
	open := ""
	for _, line := range strings.Split(md, "\n") {
		if m := fence.FindStringSubmatch(line); m != nil {
			switch open {
			case "":
				open = m[1]
			case m[1]:
				open = ""
			}
			b.WriteString("\n")
			continue
		}
		if open != "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(inlineCode.ReplaceAllString(line, "``") + "\n")
	}
	return b.String()
}

var inlineCode = regexp.MustCompile("`[^`]*`")

// TestReadmeIndexesEveryDoc: README.md links every Markdown file under
// docs/, so that its Documentation index is complete (the break it
// catches: a new docs file nobody can find from the README).
func TestReadmeIndexesEveryDoc(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	linked := map[string]bool{}
	for _, m := range link.FindAllStringSubmatch(withoutCode(string(readme)), -1) {
		path, _, _ := strings.Cut(m[1], "#")
		linked[path] = true
	}
	require.NoError(t, filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		rel, err := filepath.Rel(root, path)
		require.NoError(t, err)
		require.True(t, linked[filepath.ToSlash(rel)], "README.md's Documentation index does not link %s", filepath.ToSlash(rel))
		return nil
	}))
}
