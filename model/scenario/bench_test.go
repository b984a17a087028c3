package scenario

import (
	"fmt"
	"strings"
	"testing"
)

// manyClients returns a scenario with n clients, one subscription per client
// and one publish per client, so that every name lookup of validate is
// exercised n times.
func manyClients(n int) []byte {
	var b strings.Builder
	b.WriteString("name: many\nclients:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: c%d}\n", i)
	}
	b.WriteString("subscriptions:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: s%d, client: c%d, subject: a}\n", i, i)
	}
	b.WriteString("actions:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {at: 1ms, publish: {client: c%d, subject: a}}\n", i)
	}
	return []byte(b.String())
}

// BenchmarkParseManyClients parses a scenario of 100,000 clients,
// subscriptions and publishes. Validation used to look every name up in a
// list (O(n²): 10 s for 100k clients); it must stay linear.
func BenchmarkParseManyClients(b *testing.B) {
	data := manyClients(100_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("many.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateManyClients measures validate alone on the scenario of
// BenchmarkParseManyClients: the check of names and references.
func BenchmarkValidateManyClients(b *testing.B) {
	data := manyClients(100_000)
	root, err := parseYAML("many.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	d := &decoder{file: "many.yaml", lines: make(map[string]int)}
	s, err := d.scenario(root)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := d.validate(s); err != nil {
			b.Fatal(err)
		}
	}
}
