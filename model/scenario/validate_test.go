package scenario

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestValidateIsParsesRules checks that Validate applies Parse's rules
// that span fields with Parse's own messages: every good file validates
// as parsed, and edits that break a reference, a name's uniqueness, a
// returned trigger or a topology's links are refused by Validate with the
// field and message Parse gives the edited scenario's file (only the line
// differs: a value has none). It fails when Validate skips validate or
// checkLinks (return nil), or builds its own messages.
func TestValidateIsParsesRules(t *testing.T) {
	edits := map[string]func(s *Scenario) bool{
		"duplicate client": func(s *Scenario) bool {
			if len(s.Clients) < 2 {
				return false
			}
			s.Clients[1].Name = s.Clients[0].Name
			return true
		},
		"unknown subscription": func(s *Scenario) bool {
			if len(s.Subs) == 0 {
				return false
			}
			s.Subs[0].Client = "nobody"
			return true
		},
		"trigger past the last action": func(s *Scenario) bool {
			for i := range s.Actions {
				if tr := s.Actions[i].After; tr != nil && tr.Event == Returned {
					tr.Action = len(s.Actions)
					return true
				}
			}
			return false
		},
		"gateway inside a cluster": func(s *Scenario) bool {
			if s.Topology == nil || len(s.Topology.Gateways) == 0 || len(s.Topology.Routes) == 0 {
				return false
			}
			s.Topology.Gateways[0] = s.Topology.Routes[0]
			return true
		},
	}
	tried := map[string]int{}
	for name, data := range goodFiles(t) {
		s, err := Parse(name, data)
		require.NoError(t, err)
		require.NoError(t, s.Validate(), name)
		// As Marshal writes it, so that the lines a message cites (of
		// another element: "first used ... on line 8") are the edited
		// file's: the edits move no line.
		s, err = Parse(name, s.Marshal())
		require.NoError(t, err)
		for what, edit := range edits {
			c := s.Clone()
			if !edit(c) {
				continue
			}
			tried[what]++
			_, perr := Parse(name, c.Marshal())
			var want, got *Error
			require.True(t, errors.As(perr, &want), "%s, %s: Parse says %v", name, what, perr)
			require.True(t, errors.As(c.Validate(), &got), "%s, %s: Validate accepts it", name, what)
			require.Equal(t, [3]string{name, want.Field, want.Msg}, [3]string{got.File, got.Field, got.Msg}, "%s, %s", name, what)
			require.Zero(t, got.Line, "%s, %s", name, what)
		}
	}
	require.Len(t, tried, len(edits), "every edit applies to some good file: %v", tried)
}

// TestValidateRefusesWhatOnlyCodeBuilds: Validate refuses, without a
// panic, the values the decoder never builds but code can: a link to a
// server that is not listed (checkLinks would index servers by -1) and a
// returned trigger naming a negative action (triggerCycle would index
// actions by it). It fails when either guard is removed (the test panics).
func TestValidateRefusesWhatOnlyCodeBuilds(t *testing.T) {
	files := goodFiles(t)
	topo, err := Parse("topology.yaml", files["testdata/good/topology.yaml"])
	require.NoError(t, err)
	topo.Topology.Leafnodes[0].B = "ghost"
	require.EqualError(t, topo.Validate(), `topology.yaml: leafnodes[0]: unknown server "ghost" (want one of a, b, c, x, leaf)`)

	trig, err := Parse("triggers.yaml", files["testdata/good/triggers.yaml"])
	require.NoError(t, err)
	found := false
	for i := range trig.Actions {
		if tr := trig.Actions[i].After; tr != nil && tr.Event == Returned {
			tr.Action, found = -1, true
			break
		}
	}
	require.True(t, found, "triggers.yaml has a returned trigger")
	require.ErrorContains(t, trig.Validate(), "no action -1")
}
