#!/usr/bin/env bash
# Distributed training: tools/dist_train.sh CONFIG NPROC [train.py flags]
# NPROC processes per node: one per GPU, or CPU processes (gloo) without GPUs.
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR and PORT on each.
exec "$(dirname "$0")/dist_launch.sh" "$2" train.py "$1" "${@:3}"
