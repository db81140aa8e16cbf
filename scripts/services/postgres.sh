#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and local runs: scripts/services/postgres.sh start|stop|url|status
#
#   start   install Debian's postgresql if missing, create a cluster under <project>/.run/postgres
#           (or /var/tmp/intake-postgres-<id> when the checkout is in a private folder)
#           (first time only), start it on 127.0.0.1 only, on a free port (recorded in
#           .run/postgres/port), create database intake_test, and print its SQLAlchemy URL:
#           postgresql://postgres@127.0.0.1:PORT/intake_test   (trust auth, loopback only)
#   stop    stop it (pg_ctl stop -m fast)
#   url     print the URL of the running server (exit 1 if it is not running)
#   status  exit 0 if running, 3 if not
#
# Idempotent: "start" on a running server just prints the URL. Works as root (the server
# runs as the postgres OS user via runuser) and as an ordinary user (runs as that user).
# Only the URL goes to standard output; progress messages go to standard error.
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The cluster belongs to the postgres OS user, who must be able to reach its folder. A checkout
# in a private folder (mktemp -d makes it 0700) gets its cluster outside, one per checkout.
world_traversable() {
    local dir="$1"
    while [ "${dir}" != "/" ]; do
        [ -n "$(find "${dir}" -maxdepth 0 -perm -o+x)" ] || return 1
        dir="$(dirname "${dir}")"
    done
}
# INTAKE_POSTGRES_DIR puts the cluster elsewhere (the script's own test uses a second cluster).
if [[ -n "${INTAKE_POSTGRES_DIR:-}" ]]; then
    RUN_DIR="${INTAKE_POSTGRES_DIR}"
elif world_traversable "${PROJECT_ROOT}"; then
    RUN_DIR="${PROJECT_ROOT}/.run/postgres"
else
    RUN_DIR="/var/tmp/intake-postgres-$(printf %s "${PROJECT_ROOT}" | sha256sum | cut -c1-12)"
fi
DATA_DIR="${RUN_DIR}/data"
PORT_FILE="${RUN_DIR}/port"
LOG_FILE="${RUN_DIR}/server.log"
DB_NAME="intake_test"
DB_USER="postgres"

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

pg_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    [[ -n "${dir}" && -x "${dir}/pg_ctl" ]] && echo "${dir}"
}

install_postgres() {
    [[ -n "$(pg_bindir)" ]] && return 0
    [[ "$(id -u)" == "0" ]] || die "PostgreSQL is not installed; run as root or: apt-get install -y postgresql"
    say "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    # apt-get update only when the package lists do not know postgresql yet.
    if ! apt-get install -y --no-install-recommends postgresql >&2; then
        apt-get update >&2
        apt-get install -y --no-install-recommends postgresql >&2
    fi
    [[ -n "$(pg_bindir)" ]] || die "postgresql installed but pg_ctl was not found under /usr/lib/postgresql"
}

# Run a PostgreSQL server binary as the cluster owner.
as_owner() {
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

is_running() {
    local bin
    bin="$(pg_bindir)" || return 1
    [[ -f "${DATA_DIR}/PG_VERSION" ]] || return 1
    as_owner "${bin}/pg_ctl" -D "${DATA_DIR}" status >/dev/null 2>&1
}

current_port() { [[ -f "${PORT_FILE}" ]] && cat "${PORT_FILE}"; }

url_for() { echo "postgresql://${DB_USER}@127.0.0.1:$1/${DB_NAME}"; }

port_is_free() {
    # Connection refused means nobody listens there.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A random port below the kernel's ephemeral range: a port in that range can be the local end of
# some outgoing connection, which refuses connections (so it looks free) but cannot be bound.
pick_port() {
    local previous="$1" port tries low=32768
    if [[ -n "${previous}" ]] && port_is_free "${previous}"; then
        echo "${previous}"; return 0
    fi
    [[ -r /proc/sys/net/ipv4/ip_local_port_range ]] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
    (( low > 21024 )) || low=61000
    for tries in $(seq 1 50); do
        port=$(( 20000 + RANDOM % (low - 20000) ))
        if port_is_free "${port}"; then echo "${port}"; return 0; fi
    done
    die "no free TCP port found on 127.0.0.1"
}

init_cluster() {
    local bin="$1"
    [[ -f "${DATA_DIR}/PG_VERSION" ]] && return 0
    say "creating a throwaway cluster in ${DATA_DIR}"
    mkdir -p "${RUN_DIR}"
    rm -rf "${DATA_DIR}"
    mkdir -p "${DATA_DIR}"
    if [[ "$(id -u)" == "0" ]]; then
        id postgres >/dev/null 2>&1 || die "the postgres OS user does not exist (is postgresql installed?)"
        chown -R postgres:postgres "${RUN_DIR}"
        # The server user must be able to reach the project folder.
        runuser -u postgres -- test -x "${RUN_DIR}" \
            || die "user postgres cannot enter ${RUN_DIR}; make its parent folders world-executable"
    fi
    chmod 700 "${DATA_DIR}"
    as_owner "${bin}/initdb" -D "${DATA_DIR}" -U "${DB_USER}" --auth=trust -E UTF8 --locale=C >"${RUN_DIR}/initdb.log" 2>&1 \
        || { cat "${RUN_DIR}/initdb.log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'intake_overrides.conf'" >>"${DATA_DIR}/postgresql.conf"
}

write_overrides() {
    local port="$1"
    # Loopback only, no Unix socket (nothing outside this machine can connect), and speed
    # over durability: this cluster is for tests and is thrown away.
    cat >"${DATA_DIR}/intake_overrides.conf" <<EOF
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF
    [[ "$(id -u)" == "0" ]] && chown postgres:postgres "${DATA_DIR}/intake_overrides.conf"
    return 0
}

create_database() {
    local bin="$1" port="$2"
    local exists
    exists="$("${bin}/psql" -h 127.0.0.1 -p "${port}" -U "${DB_USER}" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'")"
    if [[ "${exists}" != "1" ]]; then
        "${bin}/createdb" -h 127.0.0.1 -p "${port}" -U "${DB_USER}" "${DB_NAME}"
    fi
}

cmd_start() {
    install_postgres
    local bin port
    bin="$(pg_bindir)"
    if is_running; then
        port="$(current_port)"
        create_database "${bin}" "${port}"
        url_for "${port}"
        return 0
    fi
    init_cluster "${bin}"
    mkdir -p "${RUN_DIR}"
    local previous
    previous="$(current_port || true)"
    for attempt in 1 2 3; do
        # The port of the last run first (stable URLs), a new one after a failed attempt.
        port="$(pick_port "${previous}")"
        previous=""
        write_overrides "${port}"
        echo "${port}" >"${PORT_FILE}"
        [[ "$(id -u)" == "0" ]] && chown postgres:postgres "${PORT_FILE}"
        : >"${LOG_FILE}"
        [[ "$(id -u)" == "0" ]] && chown postgres:postgres "${LOG_FILE}"
        if as_owner "${bin}/pg_ctl" -D "${DATA_DIR}" -l "${LOG_FILE}" -w -t 60 start >&2; then
            create_database "${bin}" "${port}"
            say "running on 127.0.0.1:${port} (data in ${DATA_DIR})"
            url_for "${port}"
            return 0
        fi
        say "start on port ${port} failed (attempt ${attempt}); log:"
        tail -n 20 "${LOG_FILE}" >&2 || true
    done
    die "could not start PostgreSQL"
}

cmd_stop() {
    local bin
    if ! is_running; then
        say "not running"
        return 0
    fi
    bin="$(pg_bindir)"
    as_owner "${bin}/pg_ctl" -D "${DATA_DIR}" -m fast -w stop >&2
}

cmd_url() {
    is_running || die "not running (start it with: scripts/services/postgres.sh start)"
    url_for "$(current_port)"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    status) if is_running; then say "running on port $(current_port)"; exit 0; else say "not running"; exit 3; fi ;;
    *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac
