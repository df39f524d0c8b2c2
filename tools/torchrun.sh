#!/usr/bin/env bash
# torchrun for tools/dist_train.sh and tools/dist_test.sh (works without GPU: gloo on CPU).
# Usage: tools/torchrun.sh NPROC SCRIPT [args...]
# Env: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PORT. On one machine with PORT
# unset, the rendezvous takes a free port from the OS (--standalone), so jobs never clash.
set -euo pipefail
NPROC=$1
shift
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${NNODES:-1}" == 1 && -z "${PORT:-}" ]]; then
    RDZV=(--standalone)
else
    RDZV=(--nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}"
          --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}")
fi
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec python -m torch.distributed.run "${RDZV[@]}" --nproc_per_node="$NPROC" "$@"
