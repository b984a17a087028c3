#!/bin/sh
# A sweep split over the 8 tasks of a Slurm job array: Slurm sets
# SLURM_ARRAY_TASK_ID (here 0..7), _MIN, _MAX and _COUNT in each task, and
# `drainsim explore --shard env` turns them into shard ID-MIN+1 of COUNT
# (any --array=MIN-MAX[:STEP] works; a list such as 1,3,4 is refused).
# Submit from the repository's root, then merge when every task is done:
#
#   jobid=$(sbatch --parsable examples/cluster/slurm.sh)
#   sbatch --dependency=afterok:$jobid --wrap 'drainsim merge shards/shard-*.json --csv sweep.csv --svg sweep.svg'
#
#SBATCH --job-name=drainsim-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --output=shards/shard-%a.log
mkdir -p shards
exec drainsim explore examples/sweeps/request-timeout.yaml --workers "${SLURM_CPUS_PER_TASK:-1}" \
	--shard env --raw "shards/shard-$SLURM_ARRAY_TASK_ID.json"
