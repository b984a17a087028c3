package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const exampleSweep = "../../examples/sweeps/request-timeout.yaml"

// explore runs `drainsim explore` on the example sweep with few seeds,
// writing its files into dir with the given prefix; it returns stdout.
func exploreInto(t *testing.T, dir, prefix string, args ...string) string {
	t.Helper()
	p := filepath.Join(dir, prefix)
	args = append([]string{"explore", exampleSweep, "--seeds", "30", "--csv", p + ".csv", "--json", p + ".json", "--svg", p + ".svg"}, args...)
	code, out, errOut := runCLI(args...)
	require.Equal(t, 0, code, errOut)
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func TestExploreIsTheSameForAnyWorkerCount(t *testing.T) {
	dir := t.TempDir()
	one := exploreInto(t, dir, "w1", "--workers", "1")
	two := exploreInto(t, dir, "w2", "--workers", "2")
	require.Equal(t, one, two)
	for _, ext := range []string{".csv", ".json", ".svg"} {
		require.Equal(t, read(t, filepath.Join(dir, "w1"+ext)), read(t, filepath.Join(dir, "w2"+ext)), ext)
	}
	require.Contains(t, one, "recommendation (smallest drain_timeout whose 95% upper bound on P(loss) is at most 0.001):")
	require.Contains(t, one, "request_timeout=1s:")
	csv := read(t, filepath.Join(dir, "w1.csv"))
	require.True(t, strings.HasPrefix(csv, "request_timeout,drain_timeout,runs,loss_runs,p_loss,"), csv[:80])
	require.Len(t, strings.Split(strings.TrimSpace(csv), "\n"), 1+3*17)

	dec := xml.NewDecoder(strings.NewReader(read(t, filepath.Join(dir, "w1.svg"))))
	elements := 0
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the SVG is well-formed XML")
		elements++
	}
	require.Greater(t, elements, 100)
}

func TestExploreShardsMergeIntoTheUnshardedRun(t *testing.T) {
	dir := t.TempDir()
	whole := exploreInto(t, dir, "whole")
	var raws []string
	for _, k := range []string{"2/2", "1/2"} {
		raw := filepath.Join(dir, "shard"+k[:1]+".json")
		code, out, errOut := runCLI("explore", exampleSweep, "--seeds", "30", "--shard", k, "--raw", raw)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "shard "+k+" of sweep request-timeout: ")
		raws = append(raws, raw)
	}
	p := filepath.Join(dir, "merged")
	code, merged, errOut := runCLI(append([]string{"merge", "--csv", p + ".csv", "--json", p + ".json", "--svg", p + ".svg"}, raws...)...)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, whole, merged)
	for _, ext := range []string{".csv", ".json", ".svg"} {
		require.Equal(t, read(t, filepath.Join(dir, "whole"+ext)), read(t, p+ext), ext)
	}

	code, _, errOut = runCLI("merge", raws[0])
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "shard 1/2 is missing")
}

// TestExploreBadInput: malformed sweep and raw files exit with status 2
// and a message that says where and what (bad flags: TestBadFlagSets).
func TestExploreBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	scenario, err := filepath.Abs("../../examples/request-timeout.yaml")
	require.NoError(t, err)
	head := "name: bad\nscenario: " + scenario + "\n"
	notJSON := write("not.json", "{")
	otherFormat := write("other.json", `{"format": "something-else/9", "sweep": {}, "shard": {"k": 1, "n": 1}, "cells": []}`)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"explore", write("a.yaml", head+"axes:\n  drain_timeout: [1s, nope]\n")}, `a.yaml:4: axes.drain_timeout[1]: bad duration "nope"`},
		{[]string{"explore", write("b.yaml", head+"axes:\n  drain_timeout: [1s]\n  handler: {values: [1ms], subs: [ghost]}\n")}, `b.yaml:5: axes.handler.subs: unknown subscription "ghost"`},
		{[]string{"explore", write("c.yaml", head+"seeds: -3\naxes: {drain_timeout: [1s]}\n")}, "c.yaml:3: seeds: must be at least 1, got -3"},
		{[]string{"explore", write("d.yaml", "name: d\nscenario: nowhere.yaml\naxes: {drain_timeout: [1s]}\n")}, "nowhere.yaml: no such file or directory"},
		{[]string{"explore", write("e.yaml", head+"axes: {drain_timeout: [1s]}\n\tx: 1\n")}, "e.yaml:4: invalid YAML"},
		{[]string{"explore", filepath.Join(dir, "missing.yaml")}, "missing.yaml: no such file or directory"},
		{[]string{"merge", notJSON}, "not.json: not a drainsim explore --raw file"},
		{[]string{"merge", otherFormat}, `field format = "something-else/9": want "drainsim-explore-raw/2"`},
		{[]string{"merge", filepath.Join(dir, "absent.json")}, "absent.json: no such file or directory"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.want, "%v", c.args)
	}
	code, _, errOut := runCLI("explore", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, errOut, "usage: drainsim explore SWEEP")
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := startProgress(&b, "explore", "runs", true, 200)
	p.add(50)
	p.finish()
	p.finish() // idempotent
	require.Regexp(t, `^explore: 50/200 runs \(25%\), \d+ runs/s, took [0-9.]+s\n$`, b.String())

	var quiet bytes.Buffer
	p = startProgress(&quiet, "explore", "runs", false, 10)
	p.add(10)
	p.finish()
	require.Empty(t, quiet.String(), "no progress unless asked for or on a terminal")
}
