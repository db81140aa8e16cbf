"""Held-out NLU evaluation: intent and entity precision/recall/F1 on tests/nlu/test_nlu.yml.

The test file is never used for training (scripts/check_nlu_overlap.py checks that no test
example copies a training one). Prints a table, each figure against its goal, and fails
below the floors in tests/nlu/targets.yml, so a regression in understanding fails the suite.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "nlu"


def evaluate(model: Path) -> None:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rasa"), "test", "nlu", "--nlu", "tests/nlu/test_nlu.yml",
         "--model", str(model), "--out", str(OUT), "--quiet", "--no-plot"],
        cwd=ROOT, check=True, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )


def report() -> int:
    targets = yaml.safe_load((ROOT / "tests" / "nlu" / "targets.yml").read_text())
    intents = json.loads((OUT / "intent_report.json").read_text())
    entities_file = next(OUT.glob("*EntityExtractor_report.json"), None)
    entities = json.loads(entities_file.read_text()) if entities_file else {}
    print(f"{'label':28} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}")
    for name, row in sorted(intents.items()):
        if isinstance(row, dict) and "support" in row and name not in ("accuracy",):
            print(f"{name:28} {row['precision']:9.3f} {row['recall']:7.3f} {row['f1-score']:6.3f} {row['support']:5}")
    for name, row in sorted(entities.items()):
        if isinstance(row, dict) and "support" in row:
            print(f"entity:{name:21} {row['precision']:9.3f} {row['recall']:7.3f} {row['f1-score']:6.3f} {row['support']:5}")
    figures = {
        "intent_macro_f1": intents["macro avg"]["f1-score"],
        "country_f1": entities.get("country", {}).get("f1-score", 0.0),
    }
    failed = False
    for name, value in figures.items():
        goal, floor = targets[name]["goal"], targets[name]["floor"]
        verdict = "goal met" if value >= goal else "goal NOT met"
        if value < floor:
            verdict, failed = f"BELOW FLOOR {floor}", True
        print(f"{name}: {value:.3f} (goal {goal}) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    evaluate(ROOT / "models" / "assistant.tar.gz")
    sys.exit(report())
