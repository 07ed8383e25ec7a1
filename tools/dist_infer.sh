#!/usr/bin/env bash
# Sharded inference: tools/dist_infer.sh CONFIG CHECKPOINT INPUT_DIR OUTPUT_DIR NPROC [infer.py flags]
# NPROC processes per node (one per GPU, or CPU processes without GPUs) split
# the pages by pixel count; rerun the same command to continue after a failure.
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR and PORT on each (the
# output folder must then be shared by all of them).
exec "$(dirname "$0")/dist_launch.sh" "$5" infer.py "$1" "$2" "$3" "$4" "${@:6}"
