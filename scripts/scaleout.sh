#!/usr/bin/env bash
# The scale-out mode on one machine: 2 Rasa servers and 2 action servers behind nginx, with
# conversations in PostgreSQL and Rasa's conversation locks in Redis (ops/scaleout.py).
# Needs nginx, redis-server and PostgreSQL: apt-get install -y nginx redis-server postgresql
# Options go to ops/scaleout.py (--rasa-servers N, --action-servers N, --port P, ...).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_project
train_if_needed
exec "$VENV/bin/python" -m ops.scaleout "$@"
