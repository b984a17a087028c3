package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Validate checks s against the rules Parse applies to a scenario once
// its fields are decoded (validate): the topology's links are ones
// nats-server forms, names are unique, every reference to a client,
// subscription, server, action or message resolves to one that fits, no
// triggers wait on each other in a cycle, and the vary: and expect:
// sections name what exists. Parse runs the same code, so the two accept
// the same values; errors name the field but, without a file to read, no
// line. It leaves out what only the text has (syntax, types, unknown or
// duplicate fields) and the ranges the decoder checks of each value as it
// reads it: code that edits a parsed scenario must keep every field
// within those, as the shrinker's edits do by moving values towards their
// defaults (props.TestValidateAgreesWithParse). It lets the shrinker
// check a candidate without a round trip through the file format (a fifth
// of check --matrix's CPU).
func (s *Scenario) Validate() error {
	d := &decoder{file: s.File} // no lines: d.line finds none
	return d.validate(s)
}

// validate checks the rules that span fields: the topology's links fit
// together, names are unique and every reference to a client or
// subscription resolves to one that fits. It runs on the decoded value
// (after the topology, which is decoded last), for Parse and Validate.
func (d *decoder) validate(s *Scenario) error {
	if s.Topology != nil {
		if err := d.checkLinks(s.Topology); err != nil {
			return err
		}
	}
	// Names are looked up in maps, never by scanning a list: a scenario of
	// 100,000 clients must validate in well under a second (see
	// BenchmarkParseManyClients). The maps are only ever indexed, so their
	// order cannot reach any result.
	clients := make(map[string]int, len(s.Clients)) // name -> index in s.Clients
	for i, c := range s.Clients {
		p := index("clients", i) + ".name"
		if j, dup := clients[c.Name]; dup {
			return d.errorf(d.line(p), p, "duplicate client name %q (first used by clients[%d] on line %d)", c.Name, j, s.Clients[j].Line)
		}
		clients[c.Name] = i
	}
	if err := d.validateClientServers(s); err != nil {
		return err
	}
	subs := make(map[string]int, len(s.Subs)) // id -> index in s.Subs
	for i, sub := range s.Subs {
		p := index("subscriptions", i) + ".id"
		if j, dup := subs[sub.ID]; dup {
			return d.errorf(d.line(p), p, "duplicate subscription id %q (first used by subscriptions[%d] on line %d)", sub.ID, j, s.Subs[j].Line)
		}
		subs[sub.ID] = i
	}

	client := func(path, name string) error {
		if _, ok := clients[name]; !ok {
			return d.errorf(d.line(path), path, "%s", unknownName("client", name, clientNames(s)))
		}
		return nil
	}
	sub := func(path, id string) (*Subscription, error) {
		i, ok := subs[id]
		if !ok {
			return nil, d.errorf(d.line(path), path, "%s", unknownName("subscription", id, subIDs(s)))
		}
		return &s.Subs[i], nil
	}
	deferred := func(path, id string) (*Subscription, error) {
		target, err := sub(path, id)
		if err == nil && !target.Deferred {
			err = d.errorf(d.line(path), path, "subscription %q is not deferred: it is subscribed at the start (set deferred: true on it to subscribe it later)", id)
		}
		return target, err
	}

	for i, x := range s.Subs {
		path := index("subscriptions", i)
		if err := client(path+".client", x.Client); err != nil {
			return err
		}
		for j, a := range x.Handler.Actions {
			if a.Subscribe == nil {
				continue
			}
			p := index(path+".handler.actions", j) + ".subscribe.sub"
			target, err := deferred(p, a.Subscribe.Sub)
			if err != nil {
				return err
			}
			if target.Client != x.Client {
				return d.errorf(d.line(p), p, "subscription %q belongs to client %q, but this handler runs on client %q", target.ID, target.Client, x.Client)
			}
		}
	}

	for i, a := range s.Actions {
		p := index("actions", i) + "." + a.Kind()
		var err error
		switch {
		case a.Publish != nil:
			err = client(p+".client", a.Publish.Client)
		case a.Request != nil:
			err = client(p+".client", a.Request.Client)
		case a.Flush != nil:
			err = client(p+".client", a.Flush.Client)
		case a.Drain != nil:
			err = client(p+".client", a.Drain.Client)
		case a.Close != nil:
			err = client(p+".client", a.Close.Client)
		case a.Disconnect != nil:
			err = client(p+".client", a.Disconnect.Client)
		case a.Stall != nil:
			err = client(p+".client", a.Stall.Client)
		case a.Subscribe != nil:
			_, err = deferred(p+".sub", a.Subscribe.Sub)
		case a.Unsubscribe != nil:
			_, err = sub(p+".sub", a.Unsubscribe.Sub)
		case a.Counters != nil:
			_, err = sub(p+".sub", a.Counters.Sub)
		case a.AutoUnsubscribe != nil:
			_, err = sub(p+".sub", a.AutoUnsubscribe.Sub)
		case a.DrainSub != nil:
			_, err = sub(p+".sub", a.DrainSub.Sub)
		case a.NextMsg != nil:
			var target *Subscription
			target, err = sub(p+".sub", a.NextMsg.Sub)
			if err == nil && target.Type.Callbacks() {
				err = d.errorf(d.line(p+".sub"), p+".sub", "subscription %q is async: next_msg needs a sync or chan subscription (type: sync or chan)", target.ID)
			}
		}
		if err != nil {
			return err
		}
	}
	if err := d.validateTriggers(s, client, sub); err != nil {
		return err
	}
	if err := d.validateVary(s); err != nil {
		return err
	}
	return d.validateExpect(s)
}

// clientNames returns the names of s's clients in file order, for the
// suggestions of an error message.
func clientNames(s *Scenario) []string {
	out := make([]string, len(s.Clients))
	for i, c := range s.Clients {
		out[i] = c.Name
	}
	return out
}

// subIDs returns the ids of s's subscriptions in file order, for the
// suggestions of an error message.
func subIDs(s *Scenario) []string {
	out := make([]string, len(s.Subs))
	for i, sub := range s.Subs {
		out[i] = sub.ID
	}
	return out
}

// unknownName describes a reference to a missing client or subscription.
func unknownName(kind, name string, known []string) string {
	msg := fmt.Sprintf("unknown %s %q", kind, name)
	if len(known) == 0 {
		return msg + fmt.Sprintf(" (no %ss are defined)", kind)
	}
	if s := suggest(name, known); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(known) <= 10 {
		return msg + fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
	}
	return msg
}

// unknownField describes a field name that is not one of known.
func unknownField(name string, known []string) string {
	msg := fmt.Sprintf("unknown field %q", name)
	if len(known) == 0 {
		return msg + " (this takes no fields)"
	}
	if s := suggest(name, known); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
}

// suggest returns the element of known closest to name, if it is close
// enough to be a likely typo, or "".
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	if len(name) <= 3 {
		bestDist = 2
	}
	for _, k := range known {
		if d := editDistance(name, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance returns the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt // not a typo of any name we know
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkSubject reports whether s is a valid NATS subject: non-empty tokens
// separated by dots, without white space or control characters. If wild,
// a token may be the wildcard * and the last token may be the wildcard >.
func checkSubject(s string, wild bool) error {
	if s == "" {
		return errors.New("subject must not be empty")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("subject %q contains white space or a control character", s)
		}
	}
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return fmt.Errorf("subject %q has an empty token", s)
		case (t == "*" || t == ">") && !wild:
			return fmt.Errorf("subject %q has wildcard %s: only subscriptions may use wildcards", s, t)
		case t == ">" && i < len(tokens)-1:
			return fmt.Errorf("subject %q has > before its last token: > must be the last token", s)
		case t != "*" && t != ">" && strings.ContainsAny(t, "*>"):
			return fmt.Errorf("subject %q has token %q: the wildcards * and > must stand alone as a token", s, t)
		}
	}
	return nil
}

// checkQueue reports whether s is a valid queue group name.
func checkQueue(s string) error {
	if s == "" {
		return errors.New("queue name must not be empty (leave queue out for no queue group)")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("queue name %q contains white space or a control character", s)
		}
	}
	return nil
}

// sizeUnits are the suffixes a size may carry, longest match first.
var sizeUnits = []struct {
	suffix string
	bytes  uint64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// parseSize parses a non-negative byte count such as 1024, 64KiB or 1MB.
func parseSize(s string) (int, bool) {
	num, mult := splitSize(s)
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > math.MaxInt/mult {
		return 0, false
	}
	return int(n * mult), true
}

// splitSize splits a size into its number and the bytes of its unit.
func splitSize(s string) (string, uint64) {
	num := strings.TrimSpace(s)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			return strings.TrimSpace(rest), u.bytes
		}
	}
	return num, 1
}

// sizeSyntax reports whether s is written as a size (digits and a unit),
// so that a size parseSize refuses is too large rather than malformed.
func sizeSyntax(s string) bool {
	num, _ := splitSize(s)
	return num != "" && strings.Trim(num, "0123456789") == ""
}
