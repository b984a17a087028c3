package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/drainsim/drainsim/explore"
)

// The environment variables `explore --shard env` reads.
const (
	// envShard is "k/n", 1 <= k <= n, as --shard takes it: what a CI
	// matrix job sets (examples/cluster/github-actions.yaml).
	envShard = "DRAINSIM_SHARD"
	// envShards is the number of shards of a Kubernetes Indexed Job, its
	// completions: Kubernetes sets the index, not the count.
	envShards = "DRAINSIM_SHARDS"
	// envK8sIndex is the 0-based index Kubernetes sets in each pod of an
	// Indexed Job (completionMode: Indexed).
	envK8sIndex = "JOB_COMPLETION_INDEX"
	// The variables Slurm sets in each task of a job array (sbatch
	// --array=MIN-MAX[:STEP]).
	envSlurmID    = "SLURM_ARRAY_TASK_ID"
	envSlurmMin   = "SLURM_ARRAY_TASK_MIN"
	envSlurmMax   = "SLURM_ARRAY_TASK_MAX"
	envSlurmStep  = "SLURM_ARRAY_TASK_STEP"
	envSlurmCount = "SLURM_ARRAY_TASK_COUNT"
)

// maxShards bounds a shard count read from the environment; explore then
// also refuses more shards than the sweep has seeds.
const maxShards = explore.MaxRuns

// shardFromEnv reads the shard of `explore --shard env` from the
// environment of the batch system that started the process, through
// getenv: DRAINSIM_SHARD=k/n (a CI matrix); JOB_COMPLETION_INDEX=i, 0-based,
// with the count in DRAINSIM_SHARDS (a Kubernetes Indexed Job); or
// SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_MIN, _MAX, _STEP and _COUNT (a
// Slurm job array, which may start at any index and step by more than 1,
// but must be one evenly spaced range: --array=0-7 or 1-8 or 0-14:2, not a
// list such as 1,3,4). Exactly one of the three must be set, so that a
// shard never comes from a variable its user did not mean. It returns the
// shard and the variables it came from, e.g. "JOB_COMPLETION_INDEX=2,
// DRAINSIM_SHARDS=8".
func shardFromEnv(getenv func(string) string) (explore.Shard, string, error) {
	var set []string
	for _, v := range []string{envShard, envK8sIndex, envSlurmID} {
		if getenv(v) != "" {
			set = append(set, v)
		}
	}
	switch {
	case len(set) == 0:
		return explore.Shard{}, "", fmt.Errorf("none of %s (a CI matrix: k/n), %s (a Kubernetes Indexed Job, with %s) or %s (a Slurm job array) is set",
			envShard, envK8sIndex, envShards, envSlurmID)
	case len(set) > 1:
		return explore.Shard{}, "", fmt.Errorf("%s are all set: say which to use by unsetting the others, or give --shard k/n", strings.Join(set, " and "))
	}
	switch set[0] {
	case envShard:
		v := getenv(envShard)
		s, err := explore.ParseShard(v)
		if err != nil {
			return s, "", fmt.Errorf("%s=%q: want k/n with 1 <= k <= n, e.g. 3/8", envShard, v)
		}
		return s, envShard + "=" + v, nil
	case envK8sIndex:
		i, err := envInt(getenv, envK8sIndex, 0, maxShards-1, "the Indexed Job's completion index, from 0")
		if err != nil {
			return explore.Shard{}, "", err
		}
		if getenv(envShards) == "" {
			return explore.Shard{}, "", fmt.Errorf("%s=%d is set but %s is not: set it to the Job's completions, the number of shards", envK8sIndex, i, envShards)
		}
		n, err := envInt(getenv, envShards, 1, maxShards, "the number of shards, the Job's completions")
		if err != nil {
			return explore.Shard{}, "", err
		}
		if i >= n {
			return explore.Shard{}, "", fmt.Errorf("%s=%d with %s=%d: want an index below the count (indexes run from 0 to completions-1)", envK8sIndex, i, envShards, n)
		}
		return explore.Shard{K: i + 1, N: n}, fmt.Sprintf("%s=%d, %s=%d", envK8sIndex, i, envShards, n), nil
	}
	return slurmShard(getenv)
}

// slurmShard reads the shard of a Slurm job array task (shardFromEnv).
func slurmShard(getenv func(string) string) (explore.Shard, string, error) {
	var v [4]int // id, min, max, count
	for k, name := range []string{envSlurmID, envSlurmMin, envSlurmMax, envSlurmCount} {
		if getenv(name) == "" {
			return explore.Shard{}, "", fmt.Errorf("%s is set but %s is not: run under sbatch --array=MIN-MAX", envSlurmID, name)
		}
		var err error
		if v[k], err = envInt(getenv, name, 0, 1<<31-1, "a job array index or count"); err != nil {
			return explore.Shard{}, "", err
		}
	}
	id, lo, hi, count := v[0], v[1], v[2], v[3]
	step := 1
	if getenv(envSlurmStep) != "" {
		var err error
		if step, err = envInt(getenv, envSlurmStep, 1, 1<<31-1, "the job array's step"); err != nil {
			return explore.Shard{}, "", err
		}
	}
	from := fmt.Sprintf("%s=%d, %s=%d, %s=%d, %s=%d", envSlurmID, id, envSlurmMin, lo, envSlurmMax, hi, envSlurmCount, count)
	switch {
	case count < 1 || count > maxShards:
		return explore.Shard{}, "", fmt.Errorf("%s=%d: want 1 to %d shards", envSlurmCount, count, maxShards)
	case hi < lo || (hi-lo)%step != 0 || (hi-lo)/step+1 != count:
		return explore.Shard{}, "", fmt.Errorf("%s, step %d: the array is not one evenly spaced range of %d tasks (a list such as --array=1,3,4, or a step that does not reach MAX): give --array=MIN-MAX[:STEP]", from, step, count)
	case id < lo || id > hi || (id-lo)%step != 0:
		return explore.Shard{}, "", fmt.Errorf("%s, step %d: the task id is not one of the array's", from, step)
	}
	return explore.Shard{K: (id-lo)/step + 1, N: count}, from, nil
}

// envInt parses the environment variable name as a whole number from lo
// to hi, what it holds described by what.
func envInt(getenv func(string) string, name string, lo, hi int, what string) (int, error) {
	s := getenv(name)
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want a whole number from %d to %d (%s)", name, s, lo, hi, what)
	}
	return n, nil
}

// shardName is how an error names the --shard value: as given, or for env
// with the variables it came from.
func shardName(flag, from string) string {
	if from == "" {
		return flag
	}
	return flag + " (" + from + ")"
}

// shardSource is " (from VARIABLES)" for a shard read from the
// environment, else "".
func shardSource(from string) string {
	if from == "" {
		return ""
	}
	return " (from " + from + ")"
}
