#!/usr/bin/env bash
# Shared by dist_train.sh and dist_test.sh: torchrun SCRIPT with NPROC
# processes per node (one per GPU, or CPU processes with gloo when there is
# no GPU). Several machines: set NNODES, NODE_RANK, MASTER_ADDR and PORT.
# Usage: tools/dist_launch.sh NPROC SCRIPT [SCRIPT ARGS...]
set -e
NPROC=$1
SCRIPT=$2
case "$NPROC" in
    ''|*[!0-9]*|0)
        echo "error: tools/${SCRIPT%.py}: the number of processes must be a" \
             "positive integer, got '$NPROC'" >&2
        exit 2 ;;
esac
PYTHON=${PYTHON:-python}
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" "$HERE/$SCRIPT" "${@:3}" --launcher pytorch
