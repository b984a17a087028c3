package scenario

import (
	"strconv"
	"strings"
)

// An Error describes a problem with a scenario file: malformed YAML, a field
// of the wrong type, or a value that fails validation.
type Error struct {
	File  string // file name as given to Parse or Load; may be empty
	Line  int    // 1-based line of the offending text; 0 if unknown
	Field string // path of the offending field, e.g. "actions[3].publish.count"; may be empty
	Msg   string // what is wrong, and what was expected
	Err   error  // underlying error, if any; Msg already includes its text
}

// Error renders e as "file:line: field: msg", omitting empty parts. A line
// without a file name is rendered as "line N".
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }
