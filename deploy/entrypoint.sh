#!/usr/bin/env bash
# The image's entry point: the one place where the container's server command lines live
# (compose.yml and the Kubernetes manifests only choose the mode). They mirror ops/stack.py
# (one machine) and ops/scaleout.py (scale-out), listening on all interfaces of the container.
#
#   rasa      the Rasa server on $RASA_PORT (5005)
#   actions   the action server on $ACTION_PORT (5055)
#   widget    the chat widget page on $WIDGET_PORT (8080)
#   all       the three together, as scripts/run.sh does (SQLite in $RUN_DIR unless
#             TRACKER_DATABASE_URL / DATABASE_URL say otherwise)
#   health    exits 0 when every server this container started answers (the HEALTHCHECK)
#   anything else is run as a command (e.g. `bash`, `rasa shell`).
#
# Environment (secrets only from it, never from a file in the image):
#   TRACKER_DATABASE_URL, DATABASE_URL   conversations / consultation requests (default SQLite)
#   ACTION_ENDPOINT_URL   the action server the Rasa server calls (default this container's)
#   REDIS_HOST, REDIS_PORT, REDIS_DB     set REDIS_HOST for the scale-out endpoints (lock store
#                         in Redis, as ops/scaleout.py writes them); SCALEOUT_LOCK_STORE its type
#   RASA_ENDPOINTS, RASA_CREDENTIALS     files to use instead of the generated ones
#   RASA_INTERFACE, SANIC_HOST, WIDGET_HOST   interfaces to listen on (default 0.0.0.0)
#   CORS_ORIGINS          the widget's site(s) (default http://127.0.0.1:$WIDGET_PORT)
#   RASA_URL              the Rasa server as the visitor's browser reaches it (widget page)
#   REST_WEBHOOK_TOKEN, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SMTP_PASSWORD   optional secrets
set -euo pipefail

APP="${APP:-/app}"
RUN_DIR="${RUN_DIR:-$APP/.run}"
PY="$APP/.venv/bin/python"
RASA_PORT="${RASA_PORT:-5005}"
ACTION_PORT="${ACTION_PORT:-5055}"
WIDGET_PORT="${WIDGET_PORT:-8080}"
MODEL="${MODEL:-$APP/models/assistant.tar.gz}"
HEALTH_URLS="$RUN_DIR/health-urls"

die() { printf 'entrypoint: %s\n' "$*" >&2; exit 1; }

# What ops/stack.py's Stack.env gives every server.
export PYTHONPATH="$APP" RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=3
export TRACKER_DATABASE_URL="${TRACKER_DATABASE_URL:-sqlite:///$RUN_DIR/tracker.db}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///$RUN_DIR/intake.db}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTION_PORT/webhook}"
export RASA_URL="${RASA_URL-http://127.0.0.1:$RASA_PORT}"
export SANIC_HOST="${SANIC_HOST:-0.0.0.0}"   # the action server's interface (rasa-sdk reads it)
export WIDGET_HOST="${WIDGET_HOST:-0.0.0.0}"

# The endpoints file: RASA_ENDPOINTS, else ops/scaleout.py's template when Redis is given
# (tracker in PostgreSQL, lock in Redis), else the project's endpoints.yml.
endpoints_file() {
  if [ -n "${RASA_ENDPOINTS:-}" ]; then
    [ -r "$RASA_ENDPOINTS" ] || die "RASA_ENDPOINTS=$RASA_ENDPOINTS is not a readable file"
    echo "$RASA_ENDPOINTS"
  elif [ -n "${REDIS_HOST:-}" ]; then
    export REDIS_PORT="${REDIS_PORT:-6379}" REDIS_DB="${REDIS_DB:-1}"
    "$PY" - "$RUN_DIR/endpoints.yml" <<'EOF' || die "could not write the scale-out endpoints file"
import dataclasses, os, sys
from ops.scaleout import ENDPOINTS_TEMPLATE, ScaleOut
default = next(f.default for f in dataclasses.fields(ScaleOut) if f.name == "lock_store")
lock_store = os.environ.get("SCALEOUT_LOCK_STORE") or default
with open(sys.argv[1], "w") as out:
    out.write(ENDPOINTS_TEMPLATE.replace("{lock_store}", lock_store))
EOF
    echo "$RUN_DIR/endpoints.yml"
  else
    echo "$APP/endpoints.yml"
  fi
}

# The credentials file: RASA_CREDENTIALS, else ops/credentials.py's (Slack only when its
# secrets are in the environment).
credentials_file() {
  if [ -n "${RASA_CREDENTIALS:-}" ]; then
    [ -r "$RASA_CREDENTIALS" ] || die "RASA_CREDENTIALS=$RASA_CREDENTIALS is not a readable file"
    echo "$RASA_CREDENTIALS"
  else
    "$PY" -c 'import sys; from ops.credentials import credentials_file; print(credentials_file(sys.argv[1]))' \
      "$RUN_DIR" || die "could not write the credentials file"
  fi
}

rasa_command() {
  [ -s "$MODEL" ] || die "no model at $MODEL (the image trains it at build time)"
  local endpoints credentials
  endpoints="$(endpoints_file)" || exit 1
  credentials="$(credentials_file)" || exit 1
  RASA_CMD=("$PY" -m rasa_server run
    --model "$MODEL"
    --endpoints "$endpoints"
    --credentials "$credentials"
    --interface "${RASA_INTERFACE:-0.0.0.0}"
    --port "$RASA_PORT"
    --cors "${CORS_ORIGINS:-http://127.0.0.1:$WIDGET_PORT}")
  echo "http://127.0.0.1:$RASA_PORT/" >> "$HEALTH_URLS"
}

actions_command() {
  ACTIONS_CMD=("$PY" -m actions.server --port "$ACTION_PORT")
  echo "http://127.0.0.1:$ACTION_PORT/health" >> "$HEALTH_URLS"
}

widget_command() {
  WIDGET_CMD=("$PY" "$APP/widget/serve.py" --port "$WIDGET_PORT" --host "$WIDGET_HOST")
  echo "http://127.0.0.1:$WIDGET_PORT/" >> "$HEALTH_URLS"
}

health() {
  [ -s "$HEALTH_URLS" ] || die "no server started yet"
  "$PY" - "$HEALTH_URLS" <<'EOF'
import sys, urllib.request
for url in open(sys.argv[1]).read().split():
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            if response.status != 200:
                sys.exit(f"{url}: HTTP {response.status}")
    except Exception as error:
        sys.exit(f"{url}: {error}")
EOF
}

# The key that encrypts personal data at rest: INTAKE_DATA_KEY, else (the embedded SQLite
# default only) one created under $RUN_DIR, as ops/stack.py does.
data_key() {
  [ -n "${INTAKE_DATA_KEY:-}" ] && return 0
  INTAKE_DATA_KEY="$("$PY" -c 'import sys; from intake.crypto import ensure_key_file; print(ensure_key_file(sys.argv[1])[0])' \
    "$RUN_DIR/data.key")" || die "could not create the data key in $RUN_DIR/data.key"
  export INTAKE_DATA_KEY
  echo "entrypoint: INTAKE_DATA_KEY not set: using $RUN_DIR/data.key (keep it with the data)" >&2
}

# Whether the endpoints run the custom actions inside the Rasa server (actions_module).
actions_in_process() {
  "$PY" -c 'import sys; from pathlib import Path; from ops.stack import actions_in_process; sys.exit(0 if actions_in_process(Path(sys.argv[1])) else 1)' "$1"
}

# All in one container: any one stopping stops the others (the container exits, and
# its restart policy or the orchestrator starts it again); SIGTERM stops all of them.
run_all() {
  data_key
  widget_command; rasa_command
  local pids=()
  stop_all() { trap - TERM INT; kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
  trap 'stop_all; exit 143' TERM INT
  if ! actions_in_process "$(endpoints_file)"; then
    actions_command; "${ACTIONS_CMD[@]}" & pids+=($!)
  fi
  "${WIDGET_CMD[@]}" & pids+=($!)
  "${RASA_CMD[@]}" & pids+=($!)
  local status=0
  wait -n "${pids[@]}" || status=$?
  echo "entrypoint: a server stopped (exit $status); stopping the others" >&2
  stop_all
  exit "$status"
}

mode="${1:-all}"
case "$mode" in
  rasa|actions|widget|all) mkdir -p "$RUN_DIR" || die "cannot create $RUN_DIR"; : > "$HEALTH_URLS" ;;
esac
case "$mode" in
  rasa) rasa_command; exec "${RASA_CMD[@]}" ;;
  actions) actions_command; exec "${ACTIONS_CMD[@]}" ;;
  widget) widget_command; exec "${WIDGET_CMD[@]}" ;;
  all) run_all ;;
  health) health ;;
  *) command -v "$mode" >/dev/null 2>&1 \
       || die "unknown mode '$mode': use rasa, actions, widget, all or health (or a command to run)"
     exec "$@" ;;
esac
