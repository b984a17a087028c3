package update

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const importPath = "github.com/drainsim/drainsim/internal/update"

// TestEveryTestPackageImportsUpdate: every directory of the module with
// test files imports this package from one of them, so go test ./...
// -update reaches every test binary without "flag provided but not
// defined". It fails when a test package leaves the import out (the break
// it catches: deleting sim/update_test.go).
func TestEveryTestPackageImportsUpdate(t *testing.T) {
	root := filepath.Join("..", "..")
	imports := map[string]bool{} // directory with test files -> imports this package
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); path != root && err == nil {
				return filepath.SkipDir // another module (conformance/drivers/go)
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		imports[dir] = imports[dir] || f.Name.Name == "update"
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == importPath {
				imports[dir] = true
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, imports)
	for dir, ok := range imports {
		require.True(t, ok, "%s has tests but none imports %s: go test ./... -update would fail there (add a file like sim/update_test.go)", dir, importPath)
	}
}

// TestSection reads and rewrites a generated section, and names the file
// and the missing marker when there is none (fails if WriteSection loses
// the markers or the text around them).
func TestSection(t *testing.T) {
	file := filepath.Join(t.TempDir(), "doc.md")
	require.NoError(t, os.WriteFile(file, []byte("intro\n<!-- BEGIN table -->\nold\n<!-- END table -->\nafter\n"), 0o644))
	got, err := Section(file, "table")
	require.NoError(t, err)
	require.Equal(t, "old\n", got)
	require.NoError(t, WriteSection(file, "table", "new\nrows\n"))
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, "intro\n<!-- BEGIN table -->\nnew\nrows\n<!-- END table -->\nafter\n", string(data))

	_, err = Section(file, "matrix")
	require.ErrorContains(t, err, file+`: no line "<!-- BEGIN matrix -->" marks the start of generated section "matrix"`)
	require.NoError(t, os.WriteFile(file, []byte("<!-- BEGIN table -->\nold\n"), 0o644))
	_, err = Section(file, "table")
	require.ErrorContains(t, err, `no line "<!-- END table -->" closes generated section "table"`)
}
