"""A bounded load test of the scale-out stack: 200 conversations at once through nginx.

50 of them complete a consultation request (the e2e tests' STEPS, 10 messages), 150 ask five
knowledge questions each: 1,250 messages. Measured: 5xx (target 0), wrong replies, latency
percentiles, throughput and how the messages spread over the Rasa servers; checked: every
reference given is stored exactly once (50 rows for these conversations), no tracker has an
event twice or two turns interleaved. Figures go to tests/artifacts/load.json and to the
terminal summary.

Why each conversation has its own sender: the REST channel limits each sender to 30
messages a minute, per Rasa server.
"""
from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

import aiohttp

from intake.store import open_store
from ops.scaleout import ScaleOut
from tests.e2e.test_consultation import REFERENCE, STEPS
from tests.scaleout.conftest import report, tracker_events, tracker_problems

CONVERSATIONS = 200
CONSULTATIONS = 50
OVERALL_TIMEOUT_S = 600  # the whole run; a request alone may take at most REQUEST_TIMEOUT_S
REQUEST_TIMEOUT_S = 120
P95_LIMIT_S = 30.0  # generous for 2 cores: a failing bound means something is stuck, not slow

# (question, a fragment the answer must contain)
KNOWLEDGE: List[Tuple[str, str]] = [
    ("is south sudan a member of interpol?", "South Sudan"),
    ("what crimes does interpol deal with?", "errorism"),
    ("is a red notice an international arrest warrant?", "not an international arrest warrant"),
    ("how many countries are members of interpol?", "196"),
    ("what is a yellow notice?", "Yellow"),
]


@dataclass
class Sample:
    sender: str
    step: int
    status: int
    seconds: float
    upstream: str
    ok: bool  # the reply contained what it should
    text: str = ""


@dataclass
class Run:
    samples: List[Sample] = field(default_factory=list)
    references: Dict[str, str] = field(default_factory=dict)  # sender -> reference shown
    errors: List[str] = field(default_factory=list)


async def converse(session: aiohttp.ClientSession, url: str, sender: str,
                   script: Sequence[Tuple[str, str]], run: Run) -> None:
    """One conversation, message after message as a person would (each waits for its reply)."""
    for step, (message, expected) in enumerate(script):
        started = time.monotonic()
        try:
            async with session.post(url, json={"sender": sender, "message": message}) as response:
                body: Any = await response.json(content_type=None) if response.status < 500 else None
                status, upstream = response.status, response.headers.get("X-Upstream", "")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            run.errors.append(f"{sender} step {step}: {type(error).__name__}: {error}")
            run.samples.append(Sample(sender, step, 599, time.monotonic() - started, "", False))
            return
        seconds = time.monotonic() - started
        text = "\n".join(str(item.get("text", "")) for item in body or [] if isinstance(item, dict)) \
            if isinstance(body, list) else ""
        run.samples.append(Sample(sender, step, status, seconds, upstream,
                                  status == 200 and expected in text, text[:300]))
        if status != 200:
            return
        found = REFERENCE.search(text)
        if found and step == len(script) - 1:
            run.references[sender] = found.group(0)


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def load(url: str, prefix: str) -> Tuple[Run, float]:
    run = Run()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=CONVERSATIONS + 10)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        jobs = []
        for index in range(CONVERSATIONS):
            script = STEPS if index < CONSULTATIONS else KNOWLEDGE
            kind = "consult" if index < CONSULTATIONS else "know"
            jobs.append(converse(session, url, f"{prefix}-{kind}-{index:03d}", script, run))
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*jobs), OVERALL_TIMEOUT_S)
    return run, time.monotonic() - started


def test_200_conversations_at_once(scaleout: ScaleOut, tmp_path: Any) -> None:
    prefix = f"load-{uuid.uuid4().hex[:8]}"
    run, duration = asyncio.run(load(scaleout.rest_url, prefix))
    latencies = [sample.seconds for sample in run.samples if sample.status < 500]
    servers: Dict[str, int] = {}
    for sample in run.samples:
        index = scaleout.rasa_index(sample.upstream)
        name = f"rasa-{index + 1}" if index is not None else "unknown"
        servers[name] = servers.get(name, 0) + 1

    store = open_store(scaleout.intake_url, spool_dir=tmp_path / "reader-spool")
    try:
        rows = [row for row in store.list(limit=None) if row.conversation_id.startswith(prefix)]
    finally:
        store.close()
    stored_refs = [row.reference for row in rows]
    senders = [f"{prefix}-{'consult' if i < CONSULTATIONS else 'know'}-{i:03d}" for i in range(CONVERSATIONS)]
    events = tracker_events(scaleout.tracker_url, senders)
    corrupted = {sender: problems for sender in senders if (problems := tracker_problems(events[sender]))}
    wrong = [sample for sample in run.samples if sample.status == 200 and not sample.ok]

    figures: Dict[str, Any] = {
        "rasa_servers": len(scaleout.rasa),
        "action_servers": len(scaleout.actions),
        "conversations": CONVERSATIONS,
        "consultation_requests": CONSULTATIONS,
        "messages_expected": CONSULTATIONS * len(STEPS) + (CONVERSATIONS - CONSULTATIONS) * len(KNOWLEDGE),
        "messages_sent": len(run.samples),
        "duration_s": round(duration, 1),
        "throughput_msgs_per_s": round(len(run.samples) / duration, 1),
        "latency_p50_ms": round(1000 * percentile(latencies, 0.50)),
        "latency_p95_ms": round(1000 * percentile(latencies, 0.95)),
        "latency_p99_ms": round(1000 * percentile(latencies, 0.99)),
        "latency_max_ms": round(1000 * max(latencies)),
        "latency_mean_ms": round(1000 * statistics.mean(latencies)),
        "http_5xx": sum(1 for sample in run.samples if sample.status >= 500),
        "http_other_non_200": sum(1 for sample in run.samples if sample.status != 200 and sample.status < 500),
        "client_errors": len(run.errors),
        "wrong_replies": len(wrong),
        "references_shown": len(run.references),
        "requests_stored": len(rows),
        "references_stored_once": sum(1 for ref in set(run.references.values()) if stored_refs.count(ref) == 1),
        "corrupted_trackers": len(corrupted),
        "messages_per_server": servers,
    }
    report("scale-out load test (tests/artifacts/load.json)", figures, "load.json")
    summary = ", ".join(f"{key}={value}" for key, value in figures.items())

    assert figures["http_5xx"] == 0 and not run.errors, f"{summary}\n{run.errors[:5]}"
    assert figures["http_other_non_200"] == 0, summary
    assert figures["messages_sent"] == figures["messages_expected"], summary
    assert not wrong, f"{summary}\nfirst wrong replies: {[(s.sender, s.step, s.text) for s in wrong[:5]]}"
    assert len(run.references) == CONSULTATIONS, summary
    assert len(rows) == CONSULTATIONS and sorted(stored_refs) == sorted(run.references.values()), summary
    assert len({row.conversation_id for row in rows}) == CONSULTATIONS, summary
    assert not corrupted, f"{summary}\n{list(corrupted.items())[:3]}"
    assert all(count > 0 for count in servers.values()) and len(servers) == len(scaleout.rasa), summary
    assert figures["latency_p95_ms"] < P95_LIMIT_S * 1000, summary
