"""The benchmark command of the README (bench/run.py) does what issue 7 asks of it: in one run,
the project and a stock `rasa init` assistant generated at benchmark time, both answering, every
figure for both with its ratio, the targets judged, a table printed and a PNG written.

The figures themselves are not asserted (they are benchmark figures, not timed tests); the run
is a small one (2 one-user conversations, 3 concurrent) so that it costs ~3 minutes of CI.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any, Dict

import pytest
import yaml

from ops.stack import PROJECT_ROOT

_SPEC = importlib.util.spec_from_file_location("bench_run", PROJECT_ROOT / "bench" / "run.py")
bench = importlib.util.module_from_spec(_SPEC)  # bench/run.py is a script, not a package
sys.modules["bench_run"] = bench  # its dataclasses look their module up by name
_SPEC.loader.exec_module(bench)  # type: ignore[union-attr]

TARGETS = yaml.safe_load((PROJECT_ROOT / "bench" / "targets.yml").read_text())["targets"]
# Figures only the project has: stock has no action server.
PROJECT_ONLY = {"action_rss_mb"}


def figures(**values: Any) -> Dict[str, Dict[str, Any]]:
    """Every figure at 1.0 for both, but those given as (project, stock)."""
    out = {key: {"project": 1.0, "stock": 1.0, "ratio": 1.0} for key in bench.LABELS}
    for key, (project, stock) in values.items():
        out[key] = {"project": project, "stock": stock, "ratio": project / stock}
    return out


def test_a_figure_just_over_its_bound_is_not_met_and_reads_so() -> None:
    measured = figures(one_user_p50_ms=(15.3, 62.0), concurrent_msgs_per_s=(160.0, 40.0))
    verdicts = bench.judge([dict(t) for t in TARGETS], measured)
    assert verdicts["one_user_p50_ms"] == ["<= 15 NOT met", "<= 0.25x stock met"]
    assert verdicts["concurrent_msgs_per_s"] == [">= 4x stock met"]
    row = next(line for line in bench.table(measured, verdicts, 20).splitlines()
               if line.startswith("| one user: latency p50"))
    assert "| 15.3 " in row and "| 62.0 " in row and "NOT met" in row


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    finished = subprocess.run(
        [sys.executable, "bench/run.py", "--conversations", "2", "--users", "3", "--out", str(out)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return {"stdout": finished.stdout, "out": out,
            "results": json.loads((out / "results.json").read_text())}


def test_every_figure_is_measured_for_both_with_its_ratio(run: Dict[str, Any]) -> None:
    measured = run["results"]["figures"]
    assert set(measured) == set(bench.LABELS)
    for key, row in measured.items():
        assert row["project"] is not None and row["project"] >= 0, key
        if key in PROJECT_ONLY:
            continue
        assert row["stock"] is not None, key
        if row["stock"]:
            assert row["ratio"] == pytest.approx(row["project"] / row["stock"]), key
    for key in ("training_s", "startup_s", "one_user_p50_ms", "concurrent_msgs_per_s", "rasa_rss_mb"):
        assert measured[key]["project"] > 0 and measured[key]["stock"] > 0, key


def test_the_project_answered_every_message_as_expected(run: Dict[str, Any]) -> None:
    assert run["results"]["figures"]["unexpected_replies"]["project"] == 0
    assert run["results"]["unexpected"]["project"] == []
    latencies = run["results"]["latencies_ms"]["project"]
    assert len(latencies["one_user"]) == 2 * 10 and len(latencies["concurrent"]) == 3 * 10
    assert len(latencies["long"]) == 50


def test_targets_are_judged_and_a_table_and_a_plot_are_written(run: Dict[str, Any]) -> None:
    judged = run["results"]["targets"]
    assert len(judged) == len(TARGETS) and all(isinstance(t["met"], bool) for t in judged)
    table = [line for line in run["stdout"].splitlines() if line.startswith("| ")]
    assert [cell.strip() for cell in table[0].strip("|").split("|")] == [
        "figure", "project", "stock", "project/stock", "target (project)"]
    assert len(table) == 1 + len(bench.LABELS)
    assert sum(line.count("met") for line in table) >= len(TARGETS)
    png = (run["out"] / "benchmark.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
