package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/drainsim/drainsim/explore"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestShardFromEnv: the shard of --shard env from each batch system's
// variables, and a clear error for each bad set. The Slurm cases catch an
// index taken without SLURM_ARRAY_TASK_MIN (--array=1-4 would give shards
// 2/4..5/4) or without the step; the Kubernetes ones an index taken as
// 1-based; the ambiguous case a shard silently taken from a variable set
// for something else.
func TestShardFromEnv(t *testing.T) {
	slurm := func(id, lo, hi, count int, step string) map[string]string {
		return map[string]string{envSlurmID: strconv.Itoa(id), envSlurmMin: strconv.Itoa(lo), envSlurmMax: strconv.Itoa(hi),
			envSlurmCount: strconv.Itoa(count), envSlurmStep: step}
	}
	ok := []struct {
		env  map[string]string
		want explore.Shard
		from string
	}{
		{map[string]string{envShard: "3/8"}, explore.Shard{K: 3, N: 8}, "DRAINSIM_SHARD=3/8"},
		{map[string]string{envK8sIndex: "0", envShards: "8"}, explore.Shard{K: 1, N: 8}, "JOB_COMPLETION_INDEX=0, DRAINSIM_SHARDS=8"},
		{map[string]string{envK8sIndex: "7", envShards: "8"}, explore.Shard{K: 8, N: 8}, ""},
		{slurm(0, 0, 7, 8, ""), explore.Shard{K: 1, N: 8}, "SLURM_ARRAY_TASK_ID=0, SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_MAX=7, SLURM_ARRAY_TASK_COUNT=8"},
		{slurm(1, 1, 4, 4, "1"), explore.Shard{K: 1, N: 4}, ""},
		{slurm(4, 1, 4, 4, ""), explore.Shard{K: 4, N: 4}, ""},
		{slurm(14, 0, 14, 8, "2"), explore.Shard{K: 8, N: 8}, ""},
	}
	for _, c := range ok {
		s, from, err := shardFromEnv(func(k string) string { return c.env[k] })
		require.NoError(t, err, "%v", c.env)
		require.Equal(t, c.want, s, "%v", c.env)
		if c.from != "" {
			require.Equal(t, c.from, from)
		}
	}
	bad := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "none of DRAINSIM_SHARD (a CI matrix: k/n), JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, with DRAINSIM_SHARDS) or SLURM_ARRAY_TASK_ID (a Slurm job array) is set"},
		{map[string]string{envShard: "1/2", envK8sIndex: "0"}, "DRAINSIM_SHARD and JOB_COMPLETION_INDEX are all set"},
		{map[string]string{envShard: "9/8"}, `DRAINSIM_SHARD="9/8": want k/n with 1 <= k <= n, e.g. 3/8`},
		{map[string]string{envShard: "3"}, `DRAINSIM_SHARD="3": want k/n`},
		{map[string]string{envK8sIndex: "2"}, "JOB_COMPLETION_INDEX=2 is set but DRAINSIM_SHARDS is not: set it to the Job's completions"},
		{map[string]string{envK8sIndex: "x", envShards: "8"}, `JOB_COMPLETION_INDEX="x": want a whole number from 0 to 9999999`},
		{map[string]string{envK8sIndex: "-1", envShards: "8"}, `JOB_COMPLETION_INDEX="-1": want a whole number from 0`},
		{map[string]string{envK8sIndex: "8", envShards: "8"}, "JOB_COMPLETION_INDEX=8 with DRAINSIM_SHARDS=8: want an index below the count"},
		{map[string]string{envK8sIndex: "0", envShards: "0"}, `DRAINSIM_SHARDS="0": want a whole number from 1 to 10000000`},
		{map[string]string{envSlurmID: "3"}, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not: run under sbatch --array=MIN-MAX"},
		{slurm(3, 1, 7, 3, ""), "the array is not one evenly spaced range of 3 tasks (a list such as --array=1,3,4"},
		{slurm(3, 0, 14, 8, "2"), "SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_MAX=14, SLURM_ARRAY_TASK_COUNT=8, step 2: the task id is not one of the array's"},
		{slurm(3, 0, 7, 8, "0"), `SLURM_ARRAY_TASK_STEP="0": want a whole number from 1`},
		{map[string]string{envSlurmID: "a", envSlurmMin: "0", envSlurmMax: "1", envSlurmCount: "2"}, `SLURM_ARRAY_TASK_ID="a": want a whole number`},
	}
	for _, c := range bad {
		_, _, err := shardFromEnv(func(k string) string { return c.env[k] })
		require.Error(t, err, "%v", c.env)
		require.Contains(t, err.Error(), c.want, "%v", c.env)
	}
	clearShardEnv(t)
	code, _, errOut := runCLI("explore", exampleSweep, "--shard", "env", "--raw", filepath.Join(t.TempDir(), "r.json"))
	require.Equal(t, 2, code)
	require.Equal(t, "drainsim explore: --shard env: none of DRAINSIM_SHARD (a CI matrix: k/n), JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, with DRAINSIM_SHARDS) or SLURM_ARRAY_TASK_ID (a Slurm job array) is set (see drainsim explore -h)\n", errOut)
}

// clearShardEnv unsets, for the test, every variable --shard env reads.
func clearShardEnv(t *testing.T) {
	for _, v := range []string{envShard, envShards, envK8sIndex, envSlurmID, envSlurmMin, envSlurmMax, envSlurmStep, envSlurmCount} {
		t.Setenv(v, "")
	}
}

// A shardJob is one shard as a batch system starts it: its environment
// and the explore command line.
type shardJob struct {
	env  map[string]string
	args []string // after "drainsim"
}

// TestClusterExamples: each example of examples/cluster, read as its
// batch system would, gives each of its shards the environment the system
// would set; running explore --shard env with it in every shard and
// merging the raw files gives exactly the unsharded run's output. It
// catches an example whose count and indexes disagree (a shard missing or
// twice: merge refuses) and an environment read wrongly.
func TestClusterExamples(t *testing.T) {
	dir := t.TempDir()
	for name, jobs := range map[string][]shardJob{
		"kubernetes-job.yaml": kubernetesShards(t, dir),
		"github-actions.yaml": githubShards(t, dir),
		"slurm.sh":            slurmShards(t, dir),
	} {
		t.Run(name, func(t *testing.T) {
			require.Len(t, jobs, 8)
			sweep := jobs[0].args[1]
			var raws []string
			for _, j := range jobs {
				clearShardEnv(t)
				for k, v := range j.env {
					t.Setenv(k, v)
				}
				code, out, errOut := runCLI(append(j.args, "--seeds", "24")...)
				require.Equal(t, 0, code, "%v %v: %s", j.env, j.args, errOut)
				require.Contains(t, out, " (from ")
				raws = append(raws, j.args[len(j.args)-1])
			}
			clearShardEnv(t)
			whole := filepath.Join(dir, name+"-whole.csv")
			code, want, errOut := runCLI("explore", sweep, "--seeds", "24", "--csv", whole)
			require.Equal(t, 0, code, errOut)
			merged := filepath.Join(dir, name+"-merged.csv")
			code, got, errOut := runCLI(append([]string{"merge", "--csv", merged}, raws...)...)
			require.Equal(t, 0, code, errOut)
			require.Equal(t, want, got)
			require.Equal(t, read(t, whole), read(t, merged))
		})
	}
}

// kubernetesShards reads the Indexed Job of examples/cluster: one job per
// completion index, with the container's env and JOB_COMPLETION_INDEX, and
// its args with $(JOB_COMPLETION_INDEX) expanded as Kubernetes does.
func kubernetesShards(t *testing.T, dir string) []shardJob {
	var job struct {
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Template       struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
						Env  []struct{ Name, Value string }
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(read(t, "../../examples/cluster/kubernetes-job.yaml")), &job))
	require.Equal(t, "Indexed", job.Spec.CompletionMode)
	c := job.Spec.Template.Spec.Containers[0]
	var jobs []shardJob
	for i := range job.Spec.Completions {
		j := shardJob{env: map[string]string{envK8sIndex: strconv.Itoa(i)}}
		for _, e := range c.Env {
			j.env[e.Name] = e.Value
		}
		for _, a := range c.Args {
			a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i))
			a = strings.Replace(a, "/examples/", "../../examples/", 1)
			j.args = append(j.args, strings.Replace(a, "/results/", dir+"/k8s-", 1))
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// githubShards reads the matrix workflow of examples/cluster: one job per
// matrix value, with the job's env and the explore step's command, both
// with ${{ matrix.shard }} expanded.
func githubShards(t *testing.T, dir string) []shardJob {
	var wf struct {
		Jobs map[string]struct {
			Strategy struct {
				Matrix struct{ Shard []int }
			}
			Env   map[string]string
			Steps []struct{ Run string }
		}
	}
	require.NoError(t, yaml.Unmarshal([]byte(read(t, "../../examples/cluster/github-actions.yaml")), &wf))
	shard := wf.Jobs["shard"]
	var run string
	for _, s := range shard.Steps {
		if strings.Contains(s.Run, " explore ") {
			run = s.Run
		}
	}
	cmd, ok := strings.CutPrefix(run, "go run ./cmd/drainsim ")
	require.True(t, ok, run)
	var jobs []shardJob
	for _, k := range shard.Strategy.Matrix.Shard {
		expand := func(s string) string { return strings.ReplaceAll(s, "${{ matrix.shard }}", strconv.Itoa(k)) }
		j := shardJob{env: map[string]string{}}
		for n, v := range shard.Env {
			j.env[n] = expand(v)
		}
		for _, a := range strings.Fields(expand(cmd)) {
			if strings.HasPrefix(a, "examples/") {
				a = "../../" + a
			}
			if strings.HasPrefix(a, "shard-") {
				a = filepath.Join(dir, "gh-"+a)
			}
			j.args = append(j.args, a)
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// slurmShards reads the sbatch script of examples/cluster: one task per
// index of its --array=MIN-MAX, with the variables Slurm sets, running
// the script's explore command.
func slurmShards(t *testing.T, dir string) []shardJob {
	script := read(t, "../../examples/cluster/slurm.sh")
	arr := regexp.MustCompile(`(?m)^#SBATCH --array=(\d+)-(\d+)$`).FindStringSubmatch(script)
	require.NotNil(t, arr, "an --array=MIN-MAX line")
	lo, _ := strconv.Atoi(arr[1])
	hi, _ := strconv.Atoi(arr[2])
	sweep := regexp.MustCompile(`(?m)^exec drainsim explore (\S+)`).FindStringSubmatch(script)
	require.NotNil(t, sweep)
	require.Contains(t, script, "--shard env")
	var jobs []shardJob
	for id := lo; id <= hi; id++ {
		env := map[string]string{envSlurmID: strconv.Itoa(id), envSlurmMin: arr[1], envSlurmMax: arr[2],
			envSlurmCount: strconv.Itoa(hi - lo + 1)}
		raw := filepath.Join(dir, fmt.Sprintf("slurm-shard-%d.json", id))
		jobs = append(jobs, shardJob{env: env, args: []string{"explore", "../../" + sweep[1], "--shard", "env", "--raw", raw}})
	}
	_, err := os.Stat("../../" + sweep[1])
	require.NoError(t, err)
	return jobs
}
