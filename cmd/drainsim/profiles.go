package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/drainsim/drainsim/model"
)

const profilesUsage = `usage: drainsim profiles [--format text|markdown]

Prints every client-library profile's drain knobs, one column per profile,
then each profile's library, drain API, behaviour, sources and the
behaviours the reference only infers (flagged in every output that rests
on them). --format markdown prints the same as the table of docs/profiles.md.

`

// errorLegend explains the short error names of the knob table.
const errorLegend = "ErrDraining, ErrClosed, ErrReconnecting: ErrConnectionDraining, ErrConnectionClosed, ErrConnectionReconnecting."

func cmdProfiles(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("profiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "text (aligned columns) or markdown (the table of docs/profiles.md)")
	fs.Usage = func() {
		fmt.Fprint(stderr, profilesUsage)
		fs.PrintDefaults()
	}
	rest, code := parseArgs(fs, args)
	if code >= 0 {
		return code
	}
	if len(rest) > 0 {
		return usageError(fs, stderr, fmt.Sprintf("profiles: unexpected argument %q", rest[0]))
	}
	var profiles []*model.Profile
	for _, name := range model.ProfileNames() {
		p, _ := model.LookupProfile(name)
		profiles = append(profiles, p)
	}
	switch *format {
	case "text":
		writeProfilesText(stdout, profiles)
	case "markdown":
		writeProfilesMarkdown(stdout, profiles)
	default:
		return usageError(fs, stderr, fmt.Sprintf("profiles: --format %q: want text or markdown", *format))
	}
	return 0
}

// knobRows returns the knob table: a header row of profile names, then
// one row per knob (its field, what it means, each profile's value).
func knobRows(profiles []*model.Profile) (header []string, rows [][]string) {
	header = []string{"knob", "meaning"}
	for _, p := range profiles {
		header = append(header, p.Name)
	}
	for _, k := range model.Knobs() {
		row := []string{k.Field, k.About}
		for _, p := range profiles {
			row = append(row, k.Value(p))
		}
		rows = append(rows, row)
	}
	return header, rows
}

// profileNotes returns, for one profile, its text fields as labelled lines.
func profileNotes(p *model.Profile) [][2]string {
	notes := [][2]string{{"library", p.Library}, {"drain API", p.DrainAPI}, {"behaviour", p.Description}}
	for _, s := range p.Sources {
		notes = append(notes, [2]string{"source", s})
	}
	if len(p.Inferred) == 0 {
		notes = append(notes, [2]string{"inferred", "none"})
	}
	for _, inf := range p.Inferred {
		notes = append(notes, [2]string{"INFERRED", inf.ID + " (" + inf.Ref + "): " + inf.Behaviour})
	}
	return notes
}

func writeProfilesText(w io.Writer, profiles []*model.Profile) {
	header, rows := knobRows(profiles)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// The meaning column is left out of the terminal table: it is wide,
	// and the markdown table carries it.
	fmt.Fprintln(tw, strings.ToUpper(header[0])+"\t"+strings.Join(header[2:], "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, r[0]+"\t"+strings.Join(r[2:], "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w, errorLegend)
	for _, p := range profiles {
		fmt.Fprintf(w, "\n%s\n", p.Name)
		for _, n := range profileNotes(p) {
			fmt.Fprintf(w, "  %-10s %s\n", n[0]+":", n[1])
		}
	}
}

func writeProfilesMarkdown(w io.Writer, profiles []*model.Profile) {
	header, rows := knobRows(profiles)
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, r := range rows {
		fmt.Fprintf(w, "| `%s` | %s |\n", r[0], strings.Join(r[1:], " | "))
	}
	fmt.Fprintf(w, "\n%s\n\n", errorLegend)
	for _, p := range profiles {
		fmt.Fprintf(w, "* **%s**", p.Name)
		for i, n := range profileNotes(p) {
			sep := "; "
			if i == 0 {
				sep = ": "
			}
			fmt.Fprintf(w, "%s%s: %s", sep, n[0], n[1])
		}
		fmt.Fprintln(w, ".")
	}
}
