#!/usr/bin/env bash
# Command 1: install what is needed, train if anything changed, run everything until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_project
train_if_needed
exec "$VENV/bin/python" -m ops.supervise
