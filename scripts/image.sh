#!/usr/bin/env bash
# The project's container image, built offline with podman (deploy/Containerfile).
#
#   scripts/image.sh build        # installs podman & co. when missing, makes the base image
#                                 # when missing, builds $IMAGE (layer and pip caches kept)
#   scripts/image.sh setup        # only the tools, containers.conf and the base image
#   scripts/image.sh run [MODE]   # builds, then runs MODE (default: all) on $PORT until Ctrl-C
#   scripts/image.sh services     # the PostgreSQL, Redis and nginx images of compose.yml
#   scripts/image.sh compose up|down|...   # podman-compose with deploy/compose.yml
#                                 # (`up` first builds whatever image changed)
#
# No container registry is reachable here, so the base image is made from Debian's packages
# (mmdebstrap, from the mirror apt already uses) and Python 3.10 comes from this machine's
# Python 3.10 installation (found as scripts/lib.sh finds it for .venv; Debian bookworm ships
# only 3.11, and no registry we reach carries a CPython 3.10 build). With Docker or a registry:
#   docker build -f deploy/Containerfile --build-arg BASE_IMAGE=debian:bookworm-slim \
#     --build-context python310=/path/to/a/python3.10/prefix -t interpol-intake .
#
# Environment (all optional):
#   IMAGE           the image to build (default localhost/interpol-intake:latest)
#   BASE_IMAGE      the FROM of every stage (default localhost/debian-base:bookworm, made here)
#   DEBIAN_MIRROR   for the base image (default: the mirror in /etc/apt/sources.list*)
#   PYTHON310       a python3.10 executable whose installation goes into the image
#   CA_BUNDLE       CAs pip and npm trust in the build (default: this machine's bundle, so
#                   that a TLS-intercepting proxy it trusts works in the build too)
#   PORT, WIDGET_PORT  the host ports of `run` (default 5005, 8080)
#   COMPOSE_PROJECT podman-compose's project name (default interpol-intake)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

IMAGE="${IMAGE:-localhost/interpol-intake:latest}"
BASE_IMAGE="${BASE_IMAGE:-localhost/debian-base:bookworm}"
CONTAINERFILE="$PROJECT_ROOT/deploy/Containerfile"
COMPOSE_FILE="$PROJECT_ROOT/deploy/compose.yml"
COMPOSE_PROJECT="${COMPOSE_PROJECT:-interpol-intake}"
CONTAINERS_CONF=/etc/containers/containers.conf

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else
    command -v sudo >/dev/null 2>&1 || die "this step needs root (no sudo found): $*"
    sudo "$@"
  fi
}

# podman (and runc, its runtime here), mmdebstrap for the base image, podman-compose
# (podman 4.3 has no `podman compose`). Installed only when missing.
ensure_tools() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || missing+=(runc)
  command -v podman-compose >/dev/null 2>&1 || missing+=(podman-compose)
  # compose.yml's services find each other by name: with podman's CNI networks (Debian's
  # podman 4.3) that takes the dnsname plugin.
  if [ ! -x /usr/lib/cni/dnsname ] && { ! command -v podman >/dev/null 2>&1 \
      || [ "$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null)" = cni ]; }; then
    missing+=(golang-github-containernetworking-plugin-dnsname)
  fi
  if ! podman image exists "$BASE_IMAGE" 2>/dev/null; then
    command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
  fi
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get is not available:
install them with your system's package manager (or use Docker, see deploy/Containerfile)"
  say "Installing Debian packages: ${missing[*]} (once)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" uidmap fuse-overlayfs slirp4netns >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# crun (podman's default) fails on this machine's hybrid cgroups ("hybrid mode not
# supported"), and the sandbox cannot raise resource limits above its own: runc, and ulimits
# within ours. Written only when containers.conf does not choose a runtime already.
ensure_containers_conf() {
  if [ -f "$CONTAINERS_CONF" ] && grep -qE '^[[:space:]]*runtime[[:space:]]*=' "$CONTAINERS_CONF"; then
    return 0
  fi
  if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] && [ "$(ulimit -Hn)" = unlimited ]; then
    return 0  # unified cgroups and no ceiling on limits: podman's defaults work
  fi
  [ -s "$CONTAINERS_CONF" ] && die "$CONTAINERS_CONF exists without a runtime setting; add to it:
  [containers]
  default_ulimits = [\"nofile=$(ulimit -Hn):$(ulimit -Hn)\", \"nproc=32768:32768\"]
  [engine]
  runtime = \"runc\""
  say "Writing $CONTAINERS_CONF (runtime runc, ulimits within this machine's)"
  local nofile
  nofile="$(ulimit -Hn)"; [ "$nofile" = unlimited ] && nofile=1048576
  as_root mkdir -p "$(dirname "$CONTAINERS_CONF")"
  as_root tee "$CONTAINERS_CONF" >/dev/null <<EOF
# Written by scripts/image.sh: crun fails on hybrid cgroups here, and containers may not
# raise limits above the ones this machine gives.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]

[engine]
runtime = "runc"
EOF
}

# The first deb822 URIs or one-line `deb` URL of Debian's main archive that apt uses.
debian_mirror() {
  [ -n "${DEBIAN_MIRROR:-}" ] && { echo "$DEBIAN_MIRROR"; return 0; }
  local found
  found="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | sed -nE 's#^URIs:[[:space:]]*(https?://[^[:space:]]*/debian)/?$#\1#p; s#^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?://[^[:space:]]*/debian)/?[[:space:]].*#\2#p' \
    | head -n 1 || true)"
  [ -n "$found" ] || die "no Debian mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  echo "$found"
}

# A minimal Debian bookworm made from the mirror (~25 s, ~170 MB), when the image is missing.
ensure_base_image() {
  podman image exists "$BASE_IMAGE" && return 0
  case "$BASE_IMAGE" in
    localhost/*) ;;
    *) say "Pulling $BASE_IMAGE"; podman pull "$BASE_IMAGE" || die "cannot pull $BASE_IMAGE"; return 0 ;;
  esac
  local mirror root
  mirror="$(debian_mirror)"
  root="$(mktemp -d /var/tmp/debian-base.XXXXXX)"
  # shellcheck disable=SC2064
  trap "rm -rf '$root'" RETURN
  say "Making $BASE_IMAGE from $mirror (mmdebstrap, once)"
  as_root mmdebstrap --quiet --variant=minbase --mode=root bookworm "$root" "$mirror" \
    || die "mmdebstrap from $mirror failed"
  as_root tar -C "$root" -c . | podman import --quiet - "$BASE_IMAGE" >/dev/null \
    || die "podman import of the base image failed"
  as_root rm -rf "$root"
}

# The installation prefix of the python3.10 that lib.sh uses for .venv.
python310_prefix() {
  local python
  python="$(find_python310)" || die "Python 3.10 not found for the image (it copies this machine's
installation, as Debian bookworm ships 3.11): set PYTHON310 to a python3.10 executable"
  "$python" -c 'import sys; print(sys.base_prefix)'
}

setup() {
  ensure_tools
  ensure_containers_conf
  ensure_base_image
}

build() {
  setup
  local python_prefix start secret=()
  python_prefix="$(python310_prefix)"
  local ca="${CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
  [ -s "$ca" ] && secret=(--secret "id=ca-bundle,src=$ca")
  start=$SECONDS
  say "Building $IMAGE (deploy/Containerfile; Python from $python_prefix)"
  # --format docker: OCI images cannot carry a HEALTHCHECK. --network host: the build's
  # pip, apt-get and npm reach the registries like this machine does.
  podman build --format docker --layers --network host \
    -f "$CONTAINERFILE" \
    --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --build-context python310="$python_prefix" "${secret[@]}" \
    -t "$IMAGE" "$PROJECT_ROOT" || die "podman build failed (see above)"
  say "Built $IMAGE in $((SECONDS - start)) s, $(podman image inspect --format '{{.Size}}' "$IMAGE" \
    | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

# PostgreSQL, Redis and nginx for compose.yml, from Debian's packages (deploy/services.Containerfile).
build_services() {
  setup
  local stage
  for stage in postgres redis nginx; do
    podman build --format docker --layers --network host --quiet \
      -f "$PROJECT_ROOT/deploy/services.Containerfile" --target "$stage" \
      --build-arg BASE_IMAGE="$BASE_IMAGE" -t "localhost/interpol-intake-$stage:latest" \
      "$PROJECT_ROOT" >/dev/null || die "building the $stage image failed"
  done
}

compose() {
  [ "${1:-}" = up ] && { build; build_services; }
  ensure_tools
  ensure_containers_conf
  local status=0
  IMAGE="$IMAGE" podman-compose -p "$COMPOSE_PROJECT" -f "$COMPOSE_FILE" "$@" || status=$?
  if [ "${1:-}" = down ]; then
    # podman-compose 1.0.3's `down` leaves the project's network behind.
    local network
    for network in $(podman network ls --filter "label=io.podman.compose.project=$COMPOSE_PROJECT" \
        --format '{{.Name}}'); do
      podman network rm "$network" >/dev/null || status=$?
    done
  fi
  return "$status"
}

run_image() {
  build
  local mode="${1:-all}" name="interpol-intake-$$"
  trap 'podman rm -f -t 15 "$name" >/dev/null 2>&1 || true' EXIT
  local port="${PORT:-5005}" widget_port="${WIDGET_PORT:-8080}"
  say "Running $IMAGE ($mode): Rasa on http://127.0.0.1:$port, widget page on http://127.0.0.1:$widget_port (Ctrl-C stops it)"
  podman run --rm --name "$name" -p "127.0.0.1:$port:5005" -p "127.0.0.1:$widget_port:8080" \
    -e RASA_URL="http://127.0.0.1:$port" -e CORS_ORIGINS="http://127.0.0.1:$widget_port" \
    -e REST_WEBHOOK_TOKEN -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -e SMTP_PASSWORD \
    "$IMAGE" "$mode"
}

case "${1:-build}" in
  setup) setup ;;
  build) build ;;
  services) build_services ;;
  run) shift; run_image "$@" ;;
  compose) shift; compose "$@" ;;
  mirror) debian_mirror ;;
  *) die "usage: scripts/image.sh [build|setup|services|run [MODE]|compose ARGS...]" ;;
esac
