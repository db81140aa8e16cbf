#!/usr/bin/env bash
# Command 1: install what is needed, train if anything changed, run everything until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"
ensure_venv
ensure_widget
generate_nlu
train_if_needed
export_runtime_env
exec "$VENV/bin/python" -m ops.stack
