"""Scale-out mode on one machine: several Rasa servers and action servers behind nginx, with
conversations in PostgreSQL and Rasa's conversation lock in Redis.

    python -m ops.scaleout            # or scripts/scaleout.sh; Ctrl-C stops everything

What it starts, in this order (and stops in reverse, also when a step fails):

1. PostgreSQL: a private throwaway cluster in a temporary folder, holding two databases: the
   conversations (Rasa's tracker store) and the consultation requests (the intake store). Two
   databases so that the intake database alone can be made unavailable, which is the outage
   the spool exists for. With --tracker-database-url and --database-url it uses those
   databases instead (kept as they are: nothing is created or dropped).
2. Redis on a free loopback port, without persistence: it only holds Rasa's per-conversation
   ticket locks, which must be shared by all Rasa servers so that two messages of one
   conversation arriving at two servers are still handled one after the other.
3. N action servers (``ops.stack.Stack`` with role "actions"), each on its own port.
4. nginx: one port for clients (REST, socket.io) and one for the Rasa servers' action calls
   (``/webhook``), each an upstream over the N servers.
5. N Rasa servers (``ops.stack.Stack`` with role "rasa"), each on its own port, all with the
   endpoints file written into run_dir (tracker store on PostgreSQL, lock store on Redis,
   action endpoint = nginx's action port).

Why a private PostgreSQL cluster by default rather than scripts/services/postgres.sh's: that
one is shared by everything in the project tree (the e2e tests start it and stop it at the
end of their session), so the scale-out stack would lose its database whenever a test session
running beside it ended; a private cluster also lets the fault tests stop PostgreSQL without
disturbing anyone. It uses the same Debian installation that postgres.sh installs.

The lock store is rasa_server.stores.lock_store.AtomicRedisLockStore: Rasa 3.6's own "redis" type issues
tickets with GET then SET, which is not atomic across servers (tests/scaleout's concurrency
test loses messages with it); `lock_store` (`--lock-store redis`) brings it back to compare.

Load balancing (see nginx_config): REST is spread over all Rasa servers by least connections,
because with the tracker in PostgreSQL and the lock in Redis any server can take any message.
socket.io is pinned to one server per client address, because socket.io's long-polling
transport keeps its session (the ``sid``) in the memory of the server that created it.
"""
from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import yaml
from sqlalchemy.engine import URL, make_url

from intake.crypto import KEY_ENV, DataKeyError
from ops.stack import PROJECT_ROOT, Stack, free_port, tail, wait_for_http

POSTGRES_SCRIPT = PROJECT_ROOT / "scripts" / "services" / "postgres.sh"
FIRM_SETTINGS = PROJECT_ROOT / "firm.yml"

# Rasa reads ${VAR} from the environment (unquoted values only, and an unset one is an error),
# so the same file can be a Kubernetes ConfigMap with the values coming from Secrets.
ENDPOINTS_TEMPLATE = """\
# Written by ops/scaleout.py for the scale-out mode; the values come from the environment
# that ops/scaleout.py gives each Rasa server (see deploy/kubernetes for the same in a cluster).

# nginx's upstream of the action servers: any action server can run any action.
action_endpoint:
  url: ${ACTION_ENDPOINT_URL}
  enable_selective_domain: true

# Conversations in PostgreSQL, so that every Rasa server sees every conversation.
tracker_store:
  type: rasa_server.stores.tracker_store.ErasableSQLTrackerStore
  url: ${TRACKER_DATABASE_URL}

# Rasa's per-conversation ticket lock, shared by all Rasa servers: two messages of one
# conversation that reach two servers are still handled one after the other.
lock_store:
  type: {lock_store}
  url: ${REDIS_HOST}
  port: ${REDIS_PORT}
  db: ${REDIS_DB}

# Replies with the firm's details (rasa_server/nlg.py), as on one machine.
nlg:
  type: rasa_server.nlg.FirmDetailsNLG
"""


# ----------------------------------------------------------------------------- helpers


def wait_until(check: Callable[[], bool], what: str, timeout: float, interval: float = 0.3,
               log: Optional[Path] = None) -> None:
    """Polls check() until it returns True; raises with what (and a log's tail) on timeout.

    Every wait in the scale-out mode is bounded: a stuck service must fail the start, not hang it.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - "not ready yet" can look like any error
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what} not ready within {timeout:.0f}s" + (f":\n{tail(log)}" if log else ""))


def http_ok(url: str, timeout: float = 2) -> bool:
    """True when url answers 200 (used for health checks through nginx)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def terminate(process: Optional[subprocess.Popen], grace: float = 15) -> None:
    """SIGTERM a process group, SIGKILL after `grace` seconds; no-op when already gone."""
    if process is None:
        return
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=grace)


def pg_bindir() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian layout, as postgres.sh uses)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                        key=lambda path: [int(part) if part.isdigit() else 0
                                          for part in path.parent.parent.name.split(".")])
    if not candidates:
        raise RuntimeError(f"PostgreSQL is not installed: run {POSTGRES_SCRIPT} start once "
                           "(it installs Debian's postgresql package) or apt-get install -y postgresql")
    return candidates[-1].parent


def require_binary(name: str, package: str) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if not found:
        raise RuntimeError(f"{name} is not installed: apt-get update && apt-get install -y {package}")
    return found


# ----------------------------------------------------------------------------- PostgreSQL


@dataclass
class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free loopback port, trust auth, no Unix socket.

    It lives in its own temporary folder, not in run_dir: when run as root the server runs as
    the postgres OS user, which cannot enter pytest's private temporary folders.
    """

    port: int = field(default_factory=free_port)
    base: Optional[Path] = None
    started: bool = False

    @property
    def data(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    @property
    def log(self) -> Path:
        assert self.base is not None
        return self.base / "server.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, command: List[str], **kwargs: object) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[arg-type]

    def create(self) -> None:
        """initdb (first time only), with the same speed-over-durability settings as postgres.sh."""
        bindir = pg_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="scaleout-pg-"))
        self.base.chmod(0o755)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        result = self._as_owner([str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                                 "--auth=trust", "-E", "UTF8", "--locale=C"])
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# ops/scaleout.py: loopback only, no Unix socket, speed over durability (throwaway)\n"
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\nshared_buffers = 64MB\n"
            )

    def start(self) -> None:
        if self.base is None:
            self.create()
        result = self._as_owner([str(pg_bindir() / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                 "-w", "-t", "60", "start"])
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start:\n{result.stderr}\n{tail(self.log)}")
        self.started = True

    def stop(self) -> None:
        """Fast shutdown (clients are disconnected): what an outage looks like to them."""
        if self.base is None or not self.started:
            return
        self._as_owner([str(pg_bindir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
        self.started = False

    def remove(self) -> None:
        self.stop()
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None


def _admin(url: str, *statements: str) -> None:
    """Runs statements on the server of url outside a transaction (CREATE/ALTER DATABASE need it)."""
    import psycopg2

    parsed = make_url(url)
    with closing(psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                                  password=parsed.password, dbname=parsed.database or "postgres",
                                  connect_timeout=10)) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def database_url(admin_url: str, database: str) -> str:
    """admin_url with another database name, as the string Rasa and SQLAlchemy read."""
    parsed: URL = make_url(admin_url).set(database=database)
    return parsed.render_as_string(hide_password=False)


# ----------------------------------------------------------------------------- the stack


@dataclass
class ScaleOut:
    """The scale-out topology on loopback ports; see the module docstring for why each part."""

    run_dir: Path
    rasa_servers: int = 2
    action_servers: int = 2
    # Both None: a private throwaway cluster. Both given: these PostgreSQL databases, used as
    # they are (they may be one and the same database).
    given_tracker_url: Optional[str] = None
    given_intake_url: Optional[str] = None
    model: Path = PROJECT_ROOT / "models" / "assistant.tar.gz"
    port: int = 0  # nginx's port for clients (0: a free one)
    action_proxy_port: int = 0  # nginx's port for the Rasa servers' action calls (0: a free one)
    extra_env: Dict[str, str] = field(default_factory=dict)
    # The lock store's `type`: Rasa's "redis", or the module path of a RedisLockStore subclass
    # (constructed with endpoint_config, same keys).
    lock_store: str = "rasa_server.stores.lock_store.AtomicRedisLockStore"

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir).resolve()
        self.port = self.port or free_port()
        self.action_proxy_port = self.action_proxy_port or free_port()
        self.redis_port = free_port()
        self.rasa_ports = [free_port() for _ in range(self.rasa_servers)]
        self.action_ports = [free_port() for _ in range(self.action_servers)]
        if (self.given_tracker_url is None) != (self.given_intake_url is None):
            raise ValueError("give both the tracker and the intake database URL, or neither")
        for given in (self.given_tracker_url, self.given_intake_url):
            if given and make_url(given).get_backend_name() != "postgresql":
                raise ValueError(f"the scale-out mode needs PostgreSQL databases, not {given.split(':')[0]}")
        if self.given_tracker_url and self.given_intake_url:
            self.tracker_db = str(make_url(self.given_tracker_url).database)
            self.intake_db = str(make_url(self.given_intake_url).database)
        else:
            token = uuid.uuid4().hex[:8]
            self.tracker_db = f"scaleout_{token}_tracker"
            self.intake_db = f"scaleout_{token}_intake"
        self.cluster: Optional[PostgresCluster] = None
        self.admin_url: Optional[str] = None
        self.redis: Optional[subprocess.Popen] = None
        self.nginx: Optional[subprocess.Popen] = None
        self.nginx_tmp: Optional[Path] = None
        self.rasa: List[Stack] = []
        self.actions: List[Stack] = []
        self._stops: List[Callable[[], None]] = []

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        """What clients use: nginx in front of the Rasa servers."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    @property
    def action_url(self) -> str:
        """The action endpoint the Rasa servers call: nginx in front of the action servers."""
        return f"http://127.0.0.1:{self.action_proxy_port}/webhook"

    @property
    def rasa_urls(self) -> List[str]:
        """Each Rasa server directly, bypassing nginx (for tests and debugging)."""
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def tracker_url(self) -> str:
        """Rasa's tracker store (all conversations)."""
        if self.given_tracker_url:
            return self.given_tracker_url
        assert self.admin_url, "start() first"
        return database_url(self.admin_url, self.tracker_db)

    @property
    def intake_url(self) -> str:
        """The intake store (consultation requests)."""
        if self.given_intake_url:
            return self.given_intake_url
        assert self.admin_url, "start() first"
        return database_url(self.admin_url, self.intake_db)

    @property
    def spool_dir(self) -> Path:
        """The action servers' spool: private to this stack, so that no other assistant running
        from the same project tree (they default to .run/spool) moves its requests elsewhere."""
        return self.run_dir / "spool"

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    def rasa_index(self, upstream: str) -> Optional[int]:
        """Which Rasa server an nginx `X-Upstream` value names (the last one tried), or None."""
        last = upstream.split(",")[-1].strip()
        for index, port in enumerate(self.rasa_ports):
            if last == f"127.0.0.1:{port}":
                return index
        return None

    def rasa_log(self, index: int) -> Path:
        return self.run_dir / f"rasa-{index + 1}" / "logs" / "rasa.log"

    # ------------------------------------------------------------------ start / stop

    def start(self, timeout: float = 240) -> "ScaleOut":
        """Starts everything in dependency order; on any failure stops what was started."""
        require_binary("nginx", "nginx")
        require_binary("redis-server", "redis-server")
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            # Each stop step is registered before its start, so a half-started part is stopped too.
            self._start_postgres()
            self._stops.append(self.stop_redis)
            self.start_redis()
            self._write_files()
            self.actions = [self._stack(index, "actions") for index in range(self.action_servers)]
            self._stops.append(self.stop_action_servers)
            self.start_action_servers(timeout)
            self._stops.append(self._stop_nginx)
            self._start_nginx(timeout)
            self.rasa = [self._stack(index, "rasa") for index in range(self.rasa_servers)]
            self._stops.append(self._stop_rasa_servers)
            self._parallel([lambda stack=stack: stack.start(timeout) for stack in self.rasa])
            wait_until(lambda: http_ok(f"{self.url}/"), "nginx in front of the Rasa servers", 30,
                       log=self.logs / "nginx-error.log")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops everything that was started, in reverse order; each step even if another failed."""
        errors = []
        while self._stops:
            step = self._stops.pop()
            try:
                step()
            except Exception as error:  # noqa: BLE001 - go on stopping the rest
                errors.append(f"{getattr(step, '__name__', step)}: {error}")
        if errors:
            print("scale-out: problems while stopping:\n  " + "\n  ".join(errors), file=sys.stderr)

    @staticmethod
    def _parallel(tasks: Sequence[Callable[[], object]]) -> None:
        """Runs the start-ups side by side (two Rasa servers load their models in ~20 s together
        instead of ~40 s one after the other) and re-raises the first failure."""
        if not tasks:
            return
        with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
            futures = [pool.submit(task) for task in tasks]
            for future in futures:
                future.result()

    # ------------------------------------------------------------------ PostgreSQL

    def _start_postgres(self) -> None:
        if self.given_intake_url:
            # stop_postgres/start_postgres connect to the same server's maintenance database.
            self.admin_url = database_url(self.given_intake_url, "postgres")
            return
        self.cluster = PostgresCluster()
        self._stops.append(self.cluster.remove)
        self.cluster.start()
        self.admin_url = self.cluster.admin_url
        _admin(self.admin_url, f'CREATE DATABASE "{self.tracker_db}"', f'CREATE DATABASE "{self.intake_db}"')

    def stop_postgres(self, database: Optional[str] = "intake") -> None:
        """Makes PostgreSQL unavailable: one database ("intake" or "tracker"), or with None the
        whole private cluster.

        Why one database: the tracker store lives in PostgreSQL too, and without it no Rasa
        server can answer at all; the outage the intake spool is built for is the intake
        database being unreachable while the conversation goes on. Refusing new connections
        (ALLOW_CONNECTIONS false, which binds superusers too) and ending the open ones is what
        the action servers would see if that database's server were down.
        """
        assert self.admin_url, "start() first"
        if database is None:
            if self.cluster is None:
                raise RuntimeError("stop_postgres(None) needs the private cluster (no database URLs given)")
            self.cluster.stop()
            return
        name = {"intake": self.intake_db, "tracker": self.tracker_db}[database]
        _admin(self.admin_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
               f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
               "AND pid <> pg_backend_pid()")

    def start_postgres(self, database: Optional[str] = "intake") -> None:
        """Undoes stop_postgres(database)."""
        assert self.admin_url, "start() first"
        if database is None:
            assert self.cluster is not None
            self.cluster.start()
            return
        name = {"intake": self.intake_db, "tracker": self.tracker_db}[database]
        _admin(self.admin_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    # ------------------------------------------------------------------ Redis

    def start_redis(self, timeout: float = 30) -> None:
        """redis-server on loopback, no persistence (`--save ''`, no AOF): it only holds locks
        that live for one turn, so a restart losing them is harmless."""
        if self.redis is not None and self.redis.poll() is None:
            return
        log = (self.logs / "redis.log").open("ab")
        self.redis = subprocess.Popen(
            [require_binary("redis-server", "redis-server"), "--port", str(self.redis_port),
             "--bind", "127.0.0.1", "--protected-mode", "yes", "--save", "", "--appendonly", "no",
             "--dir", str(self.run_dir), "--daemonize", "no"],
            cwd=self.run_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=1)

        def ready() -> bool:
            if self.redis is not None and self.redis.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{tail(self.logs / 'redis.log')}")
            return bool(client.ping())

        wait_until(ready, "Redis", timeout, log=self.logs / "redis.log")

    def stop_redis(self) -> None:
        terminate(self.redis, grace=10)
        self.redis = None

    # ------------------------------------------------------------------ Rasa and action servers

    def _write_files(self) -> None:
        """The endpoints file every Rasa server reads, and the firm's settings with a private spool."""
        (self.run_dir / "endpoints.yml").write_text(ENDPOINTS_TEMPLATE.replace("{lock_store}", self.lock_store))
        settings = yaml.safe_load(FIRM_SETTINGS.read_text(encoding="utf-8"))
        settings.setdefault("intake", {})["spool_dir"] = str(self.spool_dir)
        (self.run_dir / "firm.yml").write_text(
            "# Written by ops/scaleout.py: the project's firm.yml with this stack's own spool folder.\n"
            + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True), encoding="utf-8")

    def env(self) -> Dict[str, str]:
        """What every Rasa and action server of this stack gets (on top of ops.stack's env).

        INTAKE_DATA_KEY is required: the servers share one data key, so no per-server default."""
        key = self.extra_env.get(KEY_ENV) or os.environ.get(KEY_ENV)
        if not key:
            raise DataKeyError(
                f"The scale-out mode needs {KEY_ENV}: the one data key every server encrypts personal data "
                "with (`python -m intake.admin generate-key` prints a new one; keep it in your secret store).")
        env = {
            KEY_ENV: key,
            "TRACKER_DATABASE_URL": self.tracker_url,
            "DATABASE_URL": self.intake_url,
            "ACTION_ENDPOINT_URL": self.action_url,
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.redis_port),
            "REDIS_DB": "1",
            "FIRM_SETTINGS": str(self.run_dir / "firm.yml"),
        }
        env.update(self.extra_env)
        return env

    def _stack(self, index: int, role: str) -> Stack:
        if role == "rasa":
            # ops.stack derives ACTION_ENDPOINT_URL from action_port: give it nginx's action port.
            rasa_port, action_port, name = self.rasa_ports[index], self.action_proxy_port, f"rasa-{index + 1}"
        else:
            rasa_port, action_port, name = self.port, self.action_ports[index], f"actions-{index + 1}"
        return Stack(rasa_port, action_port, None, self.run_dir / name, model=self.model,
                     extra_env=self.env(), endpoints=self.run_dir / "endpoints.yml", roles=(role,))

    def start_action_servers(self, timeout: float = 120) -> None:
        """Starts the action servers that are not running; when nginx runs, also waits until it
        reaches them again (nginx skips a server for fail_timeout, 5 s, after a failed try)."""
        self._parallel([lambda stack=stack: stack.start(timeout) for stack in self.actions
                        if not stack.services])
        if self.nginx is not None and self.nginx.poll() is None:
            wait_until(lambda: http_ok(f"http://127.0.0.1:{self.action_proxy_port}/health"),
                       "nginx in front of the action servers", 30, log=self.logs / "nginx-error.log")

    def stop_action_servers(self) -> None:
        for stack in self.actions:
            stack.stop()

    def _stop_rasa_servers(self) -> None:
        for stack in reversed(self.rasa):
            stack.stop()

    def kill_rasa(self, index: int) -> None:
        """SIGKILL one Rasa server: a crash, no goodbye (nginx finds out on the next request)."""
        stack = self.rasa[index]
        for service in stack.services:
            if service.process and service.process.poll() is None:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait(timeout=30)

    def restart_rasa(self, index: int, timeout: float = 240) -> None:
        """Stops (if still running) and starts one Rasa server on the same port."""
        stack = self.rasa[index]
        stack.stop()
        stack.start(timeout)

    def rasa_running(self, index: int) -> bool:
        return any(service.process and service.process.poll() is None
                   for service in self.rasa[index].services)

    # ------------------------------------------------------------------ nginx

    def nginx_config(self) -> str:
        """nginx in front of the Rasa servers (port) and the action servers (action_proxy_port).

        socket.io stickiness: a socket.io session starts with long-polling, and each poll
        carries the session id (`sid`) that only the server which created it knows; a poll
        reaching another server is refused ("Invalid session"). `hash $arg_sid` cannot work:
        the very first request has no sid yet, so the server that creates the session is not
        the one the sid hashes to. nginx (open source) has no sticky cookie, so the upstream
        hashes the client's address: `$remote_addr$http_x_forwarded_for`, the latter for when
        a load balancer or CDN sits in front and every request comes from its address.
        `consistent` (ketama) means a server leaving or joining moves only its own clients.
        The cost: many visitors behind one NAT share one server.

        REST needs no stickiness (every message reads the conversation from PostgreSQL under
        the Redis lock), so it is spread by least connections over all servers, and a request
        that cannot reach a server (refused, or no answer to connect within 2 s) is passed to
        the next one. A request that reached a server is never sent a second time (nginx's
        default for POST): the message may already have been handled.

        X-Upstream names the server that answered, for the tests and for debugging; drop it
        where internal addresses must not be shown.
        """
        run = self.run_dir
        assert self.nginx_tmp is not None
        rasa = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.rasa_ports)
        actions = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
                            for port in self.action_ports)
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        tmp = self.nginx_tmp
        return f"""\
# Written by ops/scaleout.py; see nginx_config() there for why each choice.
{user}worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {self.logs}/nginx-error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    log_format upstream '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                        'upstream=$upstream_addr upstream_status=$upstream_status '
                        'request_time=$request_time upstream_time=$upstream_response_time';
    access_log {self.logs}/nginx-access.log upstream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server_tokens off;

    # socket.io: one Rasa server per client address (see above).
    upstream rasa_socketio {{
        hash $remote_addr$http_x_forwarded_for consistent;
{rasa}
    }}

    # REST: any Rasa server can take any message.
    upstream rasa_rest {{
        least_conn;
{rasa}
        keepalive 32;
    }}

    upstream action_servers {{
        least_conn;
{actions}
        keepalive 16;
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}

    server {{
        listen 127.0.0.1:{self.port};
        # The REST channel refuses bodies over 64 KiB with its own JSON error; nginx stops
        # anything far larger before it reaches a Rasa server.
        client_max_body_size 1m;
        proxy_connect_timeout 2s;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        add_header X-Upstream $upstream_addr always;

        location /socket.io/ {{
            proxy_pass http://rasa_socketio;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            # longer than socket.io's ping interval (25 s) so idle websockets stay open
            proxy_read_timeout 120s;
            proxy_send_timeout 120s;
        }}

        location / {{
            proxy_pass http://rasa_rest;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # under load a reply can take seconds; a Rasa server that stopped answering
            # should still not hold a client for ever
            proxy_read_timeout 300s;
            proxy_next_upstream error timeout;
        }}
    }}

    server {{
        listen 127.0.0.1:{self.action_proxy_port};
        # Rasa sends the whole conversation with every action call: it can be large.
        client_max_body_size 50m;
        client_body_buffer_size 1m;
        proxy_connect_timeout 2s;

        location / {{
            proxy_pass http://action_servers;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""

    def _start_nginx(self, timeout: float) -> None:
        # The workers run as nobody when started as root; they need temp folders they can
        # write, outside run_dir (pytest's temporary folders are private to root).
        self.nginx_tmp = Path(tempfile.mkdtemp(prefix="scaleout-nginx-"))
        if os.geteuid() == 0:
            self.nginx_tmp.chmod(0o755)
            nobody = pwd.getpwnam("nobody")
            for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
                (self.nginx_tmp / name).mkdir()
                os.chown(self.nginx_tmp / name, nobody.pw_uid, nobody.pw_gid)
        config = self.run_dir / "nginx.conf"
        config.write_text(self.nginx_config())
        nginx = require_binary("nginx", "nginx")
        error_log = str(self.logs / "nginx-error.log")
        check = subprocess.run([nginx, "-t", "-q", "-c", str(config), "-p", str(self.run_dir), "-e", error_log],
                               capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration {config}:\n{check.stderr}")
        self.nginx = subprocess.Popen(
            [nginx, "-c", str(config), "-p", str(self.run_dir), "-e", error_log],
            cwd=self.run_dir, stdout=(self.logs / "nginx.out").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_http(f"http://127.0.0.1:{self.action_proxy_port}/health", self.nginx,
                      self.logs / "nginx-error.log", timeout)

    def _stop_nginx(self) -> None:
        # SIGQUIT is nginx's graceful stop; then the usual SIGTERM/SIGKILL fallback.
        if self.nginx is not None and self.nginx.poll() is None:
            os.killpg(self.nginx.pid, signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        terminate(self.nginx, grace=10)
        self.nginx = None
        if self.nginx_tmp is not None:
            shutil.rmtree(self.nginx_tmp, ignore_errors=True)
            self.nginx_tmp = None

    # ------------------------------------------------------------------ foreground

    def processes(self) -> Dict[str, Optional[subprocess.Popen]]:
        """Every long-running process by name (the foreground loop reports any that stops)."""
        found: Dict[str, Optional[subprocess.Popen]] = {"redis": self.redis, "nginx": self.nginx}
        for kind, stacks in (("rasa", self.rasa), ("actions", self.actions)):
            for index, stack in enumerate(stacks):
                found[f"{kind}-{index + 1}"] = stack.services[0].process if stack.services else None
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the assistant scaled out behind nginx until Ctrl-C.")
    parser.add_argument("--rasa-servers", type=int, default=2)
    parser.add_argument("--action-servers", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("SCALEOUT_PORT", 0)),
                        help="nginx's port for clients (default: SCALEOUT_PORT or a free one)")
    parser.add_argument("--tracker-database-url", default=os.environ.get("SCALEOUT_TRACKER_DATABASE_URL"),
                        help="PostgreSQL database for conversations (with --database-url; default: a "
                             "private throwaway cluster)")
    parser.add_argument("--database-url", default=os.environ.get("SCALEOUT_DATABASE_URL"),
                        help="PostgreSQL database for consultation requests")
    parser.add_argument("--run-dir", type=Path, default=PROJECT_ROOT / ".run" / "scaleout")
    parser.add_argument("--lock-store", default=os.environ.get("SCALEOUT_LOCK_STORE", "rasa_server.stores.lock_store.AtomicRedisLockStore"),
                        help="the lock store's type in endpoints.yml (default: redis)")
    args = parser.parse_args()
    if not os.environ.get(KEY_ENV):
        sys.exit(f"scale-out: {KEY_ENV} is not set. Every server encrypts personal data with this one key: "
                 f"export {KEY_ENV}=\"$(python -m intake.admin generate-key)\" and keep it safe (docs/desk.md).")
    try:
        stack = ScaleOut(args.run_dir, args.rasa_servers, args.action_servers, port=args.port,
                         given_tracker_url=args.tracker_database_url, given_intake_url=args.database_url,
                         lock_store=args.lock_store)
    except ValueError as error:
        sys.exit(f"scale-out: {error}")
    stopping = False

    def shutdown(*_: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nStopping…", flush=True)
            stack.stop()
            sys.exit(0)

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    print(f"Starting {args.rasa_servers} Rasa and {args.action_servers} action servers behind nginx "
          f"(logs in {stack.logs})…", flush=True)
    try:
        stack.start()
    except RuntimeError as error:
        sys.exit(f"Could not start the scale-out stack: {error}")
    if stack.cluster is not None:
        print("(PostgreSQL is a private throwaway cluster: its data is deleted at Ctrl-C. Pass "
              "--tracker-database-url and --database-url to keep conversations and requests.)")
    print("\nThe assistant is running scaled out:")
    print(f"  REST webhook     {stack.rest_url}")
    print(f"  socket.io        {stack.url}/socket.io")
    for index, url in enumerate(stack.rasa_urls):
        print(f"  Rasa server {index + 1}    {url}")
    print(f"  action servers   {stack.action_url} (nginx) -> "
          + ", ".join(f"127.0.0.1:{port}" for port in stack.action_ports))
    print(f"  conversations    {make_url(stack.tracker_url).render_as_string(hide_password=True)}")
    print(f"  requests         {make_url(stack.intake_url).render_as_string(hide_password=True)}")
    print(f"  Redis locks      127.0.0.1:{stack.redis_port}")
    print("Press Ctrl-C to stop.", flush=True)
    reported: set = set()
    while True:
        for name, process in stack.processes().items():
            if process is not None and process.poll() is not None and name not in reported:
                reported.add(name)
                print(f"{name} stopped unexpectedly (exit {process.returncode}); see {stack.logs} and "
                      f"{stack.run_dir}/<server>/logs", flush=True)
        if stack.rasa and all(f"rasa-{index + 1}" in reported for index in range(len(stack.rasa))):
            print("No Rasa server is left.", flush=True)
            shutdown()
        time.sleep(1)


if __name__ == "__main__":
    main()
