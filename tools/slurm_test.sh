#!/usr/bin/env bash
# Evaluation on a slurm cluster, one task per GPU.
# Usage: tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
# Env: GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS (extra srun options).
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/slurm_run.sh" "$PARTITION" "$JOB_NAME" "$TOOLS/test.py" "$CONFIG" "$CHECKPOINT" \
    --launcher slurm "$@"
