#!/usr/bin/env bash
# Distributed evaluation with torchrun (works without GPU: gloo on CPU).
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args...]
# Env: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PORT (a free one on one machine).
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
shift 3
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/torchrun.sh" "$NPROC" "$TOOLS/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "$@"
