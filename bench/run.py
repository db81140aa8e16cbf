#!/usr/bin/env python3
"""Speed benchmark: the project's assistant against a stock `rasa init` assistant, same load.

    .venv/bin/python bench/run.py [--quick] [--keep] [--out DIR]

One run trains both assistants from scratch into a temporary folder, starts them on free
loopback ports (the project through ops.stack.Stack, exactly as production starts it), talks
to both over the REST webhook (one user, 20 concurrent users, one 50-turn conversation),
samples their memory, prints figure | project | stock | ratio with the targets of
bench/targets.yml, and writes results.json and benchmark.png to bench/out/ (or --out).

Why a stock assistant beside the project: figures on a shared 2-core machine drift with the
neighbours' load; the ratio to stock Rasa measured in the same minutes drifts much less.
The phases alternate project / stock for the same reason.

Exit status 0 unless something broke (a missed target is reported, not fatal). Every process
started here is stopped, and the temporary folder deleted, also on Ctrl-C and SIGTERM.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import yaml  # noqa: E402

from ops.credentials import credentials  # noqa: E402
from ops.stack import VENV_BIN, Service, Stack, free_port, tail  # noqa: E402
from tests.chat import Chat  # noqa: E402
from tests.e2e.test_consultation import STEPS  # noqa: E402

OUT_DIR = PROJECT_ROOT / "bench" / "out"
TARGETS_FILE = PROJECT_ROOT / "bench" / "targets.yml"
REST_CHANNEL = "rasa_server.channels.rest.LimitedRestInput"

Steps = Sequence[Tuple[str, str]]  # (what the user types, a fragment the reply must contain)

# The project: knowledge questions (membership, follow-ups, source, crimes, notices) and the
# full consultation request of the end-to-end test, alternating conversation by conversation.
KNOWLEDGE: Steps = [
    ("hi", ""),
    ("is south sudan a member of interpol?", "South Sudan"),
    ("and Serbia?", "Serbia"),
    ("source?", "http"),
    ("what crimes does interpol deal with?", "errorism"),
    ("is a red notice an international arrest warrant?", "not an international arrest warrant"),
    ("how many countries are members of interpol?", "196"),
    ("what is a yellow notice?", "Yellow"),
    ("and the blue one?", "Blue"),
    ("is north korea a member of interpol?", "North Korea"),
]
# A mix of the languages people write in (issue: the speed targets hold for them too).
LANGUAGES: Steps = [
    ("Входит ли Сербия в Интерпол?", "Сербия"),
    ("Чи є Польща членом Інтерполу?", "Польща"),
    ("Almanya Interpol üyesi mi?", "Almanya"),
    ("هل تايوان عضو في الإنتربول؟", "تايوان"),
    ("¿España es miembro de Interpol?", "España"),
    ("La Suisse est-elle membre d'Interpol ?", "Suisse"),
    ("Ist Österreich Mitglied von Interpol?", "Österreich"),
    ("Чи є Туреччина членом Інтерполу?", "Туреччина"),
    ("Est-ce que le Maroc est membre d'Interpol ?", "Maroc"),
    ("is north korea a member of interpol?", "North Korea"),
]  # ten messages, as each of the other scripts (tests/bench counts them)
PROJECT_SCRIPTS: List[Steps] = [KNOWLEDGE, STEPS, LANGUAGES]
PROJECT_LONG: Steps = KNOWLEDGE[1:6]

# The stock assistant: its own intents (greet, moods, affirm/deny, bot challenge, goodbye).
# Only rule-driven replies are checked; the rest follow TED's predictions.
STOCK_SCRIPTS: List[Steps] = [
    [("hello", "How are you"), ("I am sad", ""), ("yes", ""), ("are you a bot?", "I am a bot"),
     ("hi", ""), ("I am feeling very good", ""), ("am I talking to a human?", "I am a bot"),
     ("my day was horrible", ""), ("no", ""), ("bye", "Bye")],
    [("good morning", "How are you"), ("amazing", ""), ("are you a bot?", "I am a bot"),
     ("hey there", ""), ("I don't feel very well", ""), ("no", ""), ("hello", ""),
     ("super sad", ""), ("of course", ""), ("see you around", "Bye")],
]
STOCK_LONG: Steps = [("hello", ""), ("I am sad", ""), ("yes", ""), ("are you a bot?", "I am a bot"),
                     ("bye", "Bye")]

LONG_TURNS = 50


# ----------------------------------------------------------------------------- processes


def run_timed(command: List[str], cwd: Path, env: Dict[str, str], log: Path) -> float:
    """Runs a command to completion in its own process group and returns its wall time.

    Its own group so that Ctrl-C / an exception here kills the training and its children too.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with log.open("ab") as handle:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = process.wait()
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    if code != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({code}):\n{tail(log)}")
    return time.monotonic() - start


@dataclass
class StockStack(Stack):
    """`rasa run` of the stock assistant alone, started, awaited and stopped by Stack's code
    (no action server: `rasa init`'s assistant has no custom action enabled)."""

    stock_dir: Path = Path(".")

    def planned(self) -> List[Service]:
        return [Service(
            "rasa server",
            [str(VENV_BIN / "rasa"), "run", "--model", str(self.model),
             "--endpoints", str(self.stock_dir / "endpoints.yml"),
             "--credentials", str(self.stock_dir / "credentials.yml"),
             "--interface", "127.0.0.1", "--port", str(self.rasa_port)],
            f"{self.rasa_url}/",
            self.run_dir / "logs" / "rasa.log",
        )]


def group_rss_mb(pgids: Sequence[int]) -> Dict[int, float]:
    """Resident memory of every process in each process group (a server and its children).

    Stack starts each service in a new session, so its group id is its pid. Read from /proc
    because psutil is not among the project's dependencies.
    """
    totals = {pgid: 0.0 for pgid in pgids}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                pgrp = int(stat.read().rsplit(")", 1)[1].split()[2])
            if pgrp not in totals:
                continue
            with open(f"/proc/{entry.name}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        totals[pgrp] += int(line.split()[1]) / 1024
                        break
        except (OSError, ValueError, IndexError):
            continue  # the process ended while being read
    return totals


class PeakMemory(threading.Thread):
    """Samples each service's RSS every 0.2 s and keeps the peak, from start-up to the end."""

    def __init__(self, services: Callable[[], Dict[str, int]]) -> None:
        super().__init__(daemon=True)
        self.services = services
        self.peaks: Dict[str, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            pids = self.services()
            for pgid, mb in group_rss_mb(list(pids.values())).items():
                for name, pid in pids.items():
                    if pid == pgid:
                        self.peaks[name] = max(self.peaks.get(name, 0.0), mb)


# --------------------------------------------------------------------------------- load


class TimedChat(Chat):
    """tests.chat.Chat that records each message's round trip in milliseconds."""

    def __init__(self, rasa_url: str) -> None:
        super().__init__(rasa_url)
        self.latencies: List[float] = []

    def say(self, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        start = time.perf_counter()
        replies = super().say(text, metadata)
        self.latencies.append((time.perf_counter() - start) * 1000)
        return replies


@dataclass
class Outcome:
    """Latencies of a phase, and replies that lacked their expected fragment."""

    latencies: List[float] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, chat: TimedChat, unexpected: List[str]) -> None:
        self.latencies += chat.latencies
        self.unexpected += unexpected


def converse(chat: TimedChat, steps: Steps) -> List[str]:
    """Plays a script in one conversation; a reply without its fragment is noted, not fatal,
    so that a wording change elsewhere does not stop the benchmark (the count is printed)."""
    unexpected = []
    for typed, expected in steps:
        reply = chat.text(typed)
        if not reply.strip() or expected not in reply:
            unexpected.append(f"{typed!r} -> {reply[:100]!r}")
    return unexpected


def one_user(url: str, scripts: List[Steps], conversations: int) -> Outcome:
    """Conversations one after the other, each with a new sender, scripts taken in turn."""
    outcome = Outcome()
    start = time.monotonic()
    for index in range(conversations):
        chat = TimedChat(url)
        outcome.add(chat, converse(chat, scripts[index % len(scripts)]))
    outcome.seconds = time.monotonic() - start
    return outcome


def concurrent(url: str, scripts: List[Steps], users: int) -> Outcome:
    """`users` conversations at once (one thread and sender each), released together; the
    throughput is all their messages over the wall time until the last one ends."""
    chats = [TimedChat(url) for _ in range(users)]
    results: List[Optional[List[str]]] = [None] * users
    errors: List[BaseException] = []
    gate = threading.Barrier(users + 1)

    def user(index: int) -> None:
        try:
            gate.wait()
            results[index] = converse(chats[index], scripts[index % len(scripts)])
        except BaseException as error:  # re-raised in the main thread
            errors.append(error)

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    gate.wait()
    start = time.monotonic()
    for thread in threads:
        thread.join()
    outcome = Outcome(seconds=time.monotonic() - start)
    if errors:
        raise RuntimeError(f"{len(errors)} concurrent conversations failed: {errors[0]!r}")
    for chat, unexpected in zip(chats, results):
        outcome.add(chat, unexpected or [])
    return outcome


def long_conversation(url: str, cycle: Steps, turns: int = LONG_TURNS) -> Outcome:
    """One sender, `turns` messages from a 5-message cycle, so that turns 1-5 and 46-50 are
    the same texts and only the conversation's length differs."""
    chat = TimedChat(url)
    outcome = Outcome()
    outcome.add(chat, converse(chat, [cycle[i % len(cycle)] for i in range(turns)]))
    return outcome


# ------------------------------------------------------------------------------ figures


def pct(values: Sequence[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def figures_of(phases: Dict[str, Outcome]) -> Dict[str, float]:
    one, many, long = phases["one_user"], phases["concurrent"], phases["long"]
    first, last = statistics.mean(long.latencies[:5]), statistics.mean(long.latencies[-5:])
    return {
        "one_user_p50_ms": pct(one.latencies, 50),
        "one_user_p95_ms": pct(one.latencies, 95),
        "one_user_p99_ms": pct(one.latencies, 99),
        "concurrent_msgs_per_s": len(many.latencies) / many.seconds,
        "concurrent_p50_ms": pct(many.latencies, 50),
        "concurrent_p95_ms": pct(many.latencies, 95),
        "long_turn1_5_ms": first,
        "long_turn46_50_ms": last,
        "long_turn_ratio": last / first,
        "unexpected_replies": float(sum(len(p.unexpected) for p in phases.values())),
    }


LABELS = {
    "training_s": "training from scratch (s)",
    "startup_s": "start-up to first answer (s)",
    "one_user_p50_ms": "one user: latency p50 (ms)",
    "one_user_p95_ms": "one user: latency p95 (ms)",
    "one_user_p99_ms": "one user: latency p99 (ms)",
    "concurrent_msgs_per_s": "{users} concurrent: throughput (msg/s)",
    "concurrent_p50_ms": "{users} concurrent: latency p50 (ms)",
    "concurrent_p95_ms": "{users} concurrent: latency p95 (ms)",
    "long_turn1_5_ms": "long conversation: turns 1-5 mean (ms)",
    "long_turn46_50_ms": "long conversation: turns 46-50 mean (ms)",
    "long_turn_ratio": "long conversation: turns 46-50 / 1-5",
    "rasa_rss_mb": "peak RSS: Rasa server (MB)",
    "action_rss_mb": "peak RSS: action server (MB)",
    "unexpected_replies": "replies without the expected text",
}


def judge(targets: List[Dict[str, Any]], figures: Dict[str, Dict[str, Optional[float]]]) -> Dict[str, List[str]]:
    """'<= 15 met' / '>= 4x stock NOT met' per figure, from bench/targets.yml."""
    verdicts: Dict[str, List[str]] = {}
    for target in targets:
        row = figures[target["figure"]]
        value = row["project"] if target["of"] == "project" else row["ratio"]
        bound, ok = (("<=", target["max"]) if "max" in target else (">=", target["min"])), False
        if value is not None:
            ok = value <= bound[1] if bound[0] == "<=" else value >= bound[1]
        suffix = "x stock" if target["of"] == "ratio" else ""
        target["met"] = ok
        verdicts.setdefault(target["figure"], []).append(
            f"{bound[0]} {bound[1]}{suffix} {'met' if ok else 'NOT met'}")
    return verdicts


def table(figures: Dict[str, Dict[str, Optional[float]]], verdicts: Dict[str, List[str]], users: int) -> str:
    def cell(value: Optional[float], count: bool = False) -> str:
        if value is None:
            return "-"
        if count or abs(value) >= 100:
            return f"{value:.0f}"
        # One decimal from 10 on, so that a figure next to its bound (15.3 ms) reads as missed.
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"

    rows = [("figure", "project", "stock", "project/stock", "target (project)")]
    for key, row in figures.items():
        count = key == "unexpected_replies"
        rows.append((LABELS[key].format(users=users), cell(row["project"], count),
                     cell(row["stock"], count), "-" if count else cell(row["ratio"]),
                     "; ".join(verdicts.get(key, []))))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def plot(figures: Dict[str, Dict[str, Optional[float]]], users: int, path: Path) -> None:
    """Latency percentiles and throughput, project and stock side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["one_user_p50_ms", "one_user_p95_ms", "one_user_p99_ms",
            "concurrent_p50_ms", "concurrent_p95_ms"]
    names = ["1 user p50", "1 user p95", "1 user p99", f"{users} conc. p50", f"{users} conc. p95"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 1]})
    for offset, who in ((-0.2, "project"), (0.2, "stock")):
        values = [figures[k][who] or 0 for k in keys]
        bars = left.bar([i + offset for i in range(len(keys))], values, 0.4, label=who)
        left.bar_label(bars, fmt="%.0f", fontsize=8)
        bars = right.bar([offset * 2.5], [figures["concurrent_msgs_per_s"][who] or 0], 0.8, label=who)
        right.bar_label(bars, fmt="%.1f", fontsize=8)
    left.set_xticks(range(len(keys)), names)
    left.set_ylabel("latency (ms)")
    left.set_title("REST latency per message")
    left.legend()
    right.set_xticks([])
    right.set_ylabel("messages / s")
    right.set_title(f"throughput, {users} concurrent")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------- main


def git_commit() -> str:
    """The commit measured, '+changes' when the tree (which is what gets trained) differs."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+changes" if changed else "")


def first_answer(stack: Stack, started: float, text: str) -> float:
    """Seconds from starting the processes until a REST message gets a non-empty reply."""
    if not Chat(stack.rasa_url).say(text):
        raise RuntimeError(f"{stack.rasa_url} answered {text!r} with nothing")
    return time.monotonic() - started


def benchmark(work: Path, conversations: int, users: int, resources: ExitStack) -> Dict[str, Any]:
    """Trains, starts, loads and measures both assistants; returns results.json's content."""
    log = work / "logs"
    cache = {"RASA_CACHE_DIRECTORY": str(work / "cache")}  # never the project's .rasa/

    stock_dir = work / "stock"
    stock_dir.mkdir()
    stock = StockStack(0, 0, None, work / "stock-run", stock_dir=stock_dir)  # ports: at start
    print(f"[1/4] rasa init --no-prompt + training in {stock_dir}", flush=True)
    stock_train = run_timed([str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(stock_dir)],
                            work, {**stock.env(), **cache}, log / "stock-train.log")
    stock.model = next((stock_dir / "models").glob("*.tar.gz"))

    project_run = work / "project-run"
    project_run.mkdir()
    channels = credentials({})  # the project's channels; no Slack (it would call slack.com)
    channels[REST_CHANNEL]["rate_limit_per_minute"] = 0  # 30/min per sender would throttle the load
    (project_run / "credentials.yml").write_text(yaml.safe_dump(channels, sort_keys=False))
    project = Stack(
        0, 0, None, project_run, model=work / "models" / "assistant.tar.gz",
        credentials=project_run / "credentials.yml",
        extra_env={  # SQLite in the run folder, notifications off: reproducible and local
            "TRACKER_DATABASE_URL": f"sqlite:///{project_run / 'tracker.db'}",
            "DATABASE_URL": f"sqlite:///{project_run / 'intake.db'}",
            "NOTIFY_EMAIL_ENABLED": "false", "NOTIFY_SLACK_ENABLED": "false",
        },
    )
    print("[2/4] training the project (rasa train --force, temporary output)", flush=True)
    env = {**project.env(), **cache}
    run_timed(["bash", "-c", "source scripts/lib.sh && generate_nlu"], PROJECT_ROOT, env,
              log / "generate-nlu.log")  # the lookup tables training needs (unchanged: not rewritten)
    project_train = run_timed(
        [str(VENV_BIN / "rasa"), "train", "--data", "data", "--domain", "domain.yml",
         "--config", "config.yml", "--out", str(work / "models"), "--fixed-model-name",
         "assistant", "--force", "--quiet"],
        PROJECT_ROOT, env, log / "project-train.log")

    print("[3/4] starting both assistants", flush=True)
    memory = {name: PeakMemory(lambda s=s: {x.name: x.process.pid for x in list(s.services) if x.process})
              for name, s in (("project", project), ("stock", stock))}
    for sampler in memory.values():
        sampler.start()
        resources.callback(sampler.done.set)
    startup: Dict[str, float] = {}
    for name, stack, hello in (("stock", stock, "hello"), ("project", project, "hi")):
        resources.callback(stack.stop)
        stack.rasa_port, stack.action_port = free_port(), free_port()  # free now, not before training
        started = time.monotonic()
        stack.start()
        startup[name] = first_answer(stack, started, hello)
        print(f"      {name}: answering after {startup[name]:.1f} s", flush=True)

    print(f"[4/4] load: {conversations} conversations one user, {users} concurrent, "
          f"{LONG_TURNS}-turn conversation (project, then stock, per phase)", flush=True)
    plan = {"project": (project, PROJECT_SCRIPTS, PROJECT_LONG), "stock": (stock, STOCK_SCRIPTS, STOCK_LONG)}
    for stack, scripts, _ in plan.values():  # unmeasured warm-up: one conversation
        converse(TimedChat(stack.rasa_url), scripts[0])
    phases: Dict[str, Dict[str, Outcome]] = {name: {} for name in plan}
    phase_runs: Dict[str, Callable[[str, List[Steps], Steps], Outcome]] = {
        "one_user": lambda url, scripts, _: one_user(url, scripts, conversations),
        "concurrent": lambda url, scripts, _: concurrent(url, scripts, users),
        "long": lambda url, _, cycle: long_conversation(url, cycle),
    }
    for phase, run in phase_runs.items():
        for name, (stack, scripts, cycle) in plan.items():
            phases[name][phase] = run(stack.rasa_url, scripts, cycle)
            print(f"      {phase:<10} {name:<7} {len(phases[name][phase].latencies)} messages", flush=True)
    for sampler in memory.values():
        sampler.done.set()
        sampler.join()

    measured = {name: figures_of(phases[name]) for name in plan}
    measured["project"].update(training_s=project_train, startup_s=startup["project"],
                               rasa_rss_mb=memory["project"].peaks.get("rasa server", 0.0),
                               action_rss_mb=memory["project"].peaks.get("action server", 0.0))
    measured["stock"].update(training_s=stock_train, startup_s=startup["stock"],
                             rasa_rss_mb=memory["stock"].peaks.get("rasa server", 0.0))
    figures: Dict[str, Dict[str, Optional[float]]] = {}
    for key in LABELS:
        p, s = measured["project"].get(key), measured["stock"].get(key)
        figures[key] = {"project": p, "stock": s, "ratio": p / s if p is not None and s else None}
    return {
        "figures": figures,
        "unexpected": {name: [u for o in phases[name].values() for u in o.unexpected][:20] for name in plan},
        "latencies_ms": {name: {ph: o.latencies for ph, o in phases[name].items()} for name in plan},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 one-user conversations instead of 20")
    parser.add_argument("--conversations", type=int, help="one-user conversations (default 20, --quick 5)")
    parser.add_argument("--users", type=int, default=20, help="concurrent conversations (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, models)")
    parser.add_argument("--out", type=Path, default=OUT_DIR,
                        help=f"where results.json and benchmark.png go (default {OUT_DIR})")
    args = parser.parse_args()
    conversations = args.conversations or (5 if args.quick else 20)
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"  # inherited by every process started below
    os.environ.pop("REST_WEBHOOK_TOKEN", None)  # the benchmark's requests carry no bearer token
    # Both unwind through the clean-up below (SIGINT explicitly: a shell may start us ignoring it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated: every process started was stopped"))

    began, load_before, commit = time.monotonic(), os.getloadavg(), git_commit()  # what gets trained
    work = Path(tempfile.mkdtemp(prefix="rasa-bench-"))
    try:
        with ExitStack() as resources:
            results = benchmark(work, conversations, args.users, resources)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    targets = yaml.safe_load(TARGETS_FILE.read_text())["targets"]
    verdicts = judge(targets, results["figures"])
    results["targets"] = targets
    results["run"] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "commit": commit,
        "seconds": round(time.monotonic() - began), "cpus": os.cpu_count(),
        "python": platform.python_version(), "machine": platform.platform(),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "conversations": conversations, "users": args.users, "long_turns": LONG_TURNS,
        "notes": ["project REST rate limit disabled (rate_limit_per_minute: 0) for the benchmark",
                  "project: SQLite tracker and intake stores in a temporary folder; stock: in-memory tracker",
                  "stock training time is `rasa init --no-prompt` (scaffold + training)"],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    plot(results["figures"], args.users, args.out / "benchmark.png")

    run = results["run"]
    print(f"\nRasa speed benchmark, commit {run['commit']}, {run['date']}, {run['cpus']} CPUs, "
          f"load average {run['load_average_before'][0]:.2f} before / {run['load_average_after'][0]:.2f} after")
    print("Project: REST rate limit disabled for the benchmark (rate_limit_per_minute: 0).")
    print(table(results["figures"], verdicts, args.users))
    for name, unexpected in results["unexpected"].items():
        for line in unexpected[:5]:
            print(f"warning: {name} reply without the expected text: {line}")
    print(f"\nFull run: {run['seconds']} s. Wrote {args.out / 'results.json'} and {args.out / 'benchmark.png'}.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted: every process started was stopped")
    except RuntimeError as failure:
        sys.exit(f"benchmark failed: {failure}")
