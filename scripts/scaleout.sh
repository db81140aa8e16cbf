#!/usr/bin/env bash
# The scale-out mode on one machine: 2 Rasa servers and 2 action servers behind nginx, with
# conversations in PostgreSQL and Rasa's conversation locks in Redis (ops/scaleout.py).
# nginx and redis-server are installed here when missing; PostgreSQL by scripts/services/postgres.sh.
# Options go to ops/scaleout.py (--rasa-servers N, --action-servers N, --port P, ...).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_project
"$PROJECT_ROOT/scripts/ensure_system_packages.sh"
train_if_needed
exec "$VENV/bin/python" -m ops.scaleout "$@"
