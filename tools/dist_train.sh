#!/usr/bin/env bash
# Distributed training with torchrun (works without GPU: gloo on CPU).
# Usage: tools/dist_train.sh CONFIG NPROC [train.py args...]
# Env: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PORT (a free one on one machine).
set -euo pipefail
CONFIG=$1
NPROC=$2
shift 2
TOOLS="$(cd "$(dirname "$0")" && pwd)"
exec bash "$TOOLS/torchrun.sh" "$NPROC" "$TOOLS/train.py" "$CONFIG" --launcher pytorch "$@"
