#!/usr/bin/env bash
# Command 2: the whole test suite. Installs what is missing, validates the data, trains if
# anything changed, runs Rasa's story tests, the held-out NLU report, then pytest (unit,
# and end-to-end tests against real servers on free loopback ports). Non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_project

say "Validating training data and domain (log: .run/logs/validate.log)"
# Its warnings that responses are "not used in any story" are expected: custom actions send them.
if ! "$VENV/bin/rasa" data validate --data data --domain domain.yml --config config.yml \
    > .run/logs/validate.log 2>&1; then
  tail -n 40 .run/logs/validate.log >&2
  die "rasa data validate failed"
fi

say "The knowledge file, its routes and every enabled language's translations"
"$VENV/bin/python" -m kb

train_if_needed

say "Story tests (every predicted action must match)"
"$VENV/bin/python" -m rasa_server test core --model models/assistant.tar.gz --stories tests/stories \
  --fail-on-prediction-errors --out results/core --quiet

say "Held-out NLU evaluation (the test set must not overlap the training data)"
"$VENV/bin/python" scripts/check_nlu_overlap.py
"$VENV/bin/python" scripts/nlu_report.py

say "Held-out answers: the question inside a story, the one fact asked for (tests/answers/)"
"$VENV/bin/python" scripts/answers_report.py

say "Debian packages the tests run for real: chromium, nginx, redis-server, postgresql"
"$PROJECT_ROOT/scripts/ensure_system_packages.sh"

# tests/deploy/ builds the container image with podman (~10 minutes from nothing, 1-3 when
# its layers are cached) and runs it alone and as the compose stack; IMAGE_TESTS_SKIP=1 skips it.
say "pytest: unit and end-to-end tests"
"$VENV/bin/python" -m pytest tests "$@"
