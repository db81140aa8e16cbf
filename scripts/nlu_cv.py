"""Stratified k-fold cross-validation of the NLU pipeline on the training data (data/ only).

Model selection must never look at the held-out set (tests/nlu/), so pipelines are compared
here: the same folds for every config (fixed seed), the intent classifier's own prediction
(the FallbackClassifier is left out, as `rasa test nlu` undoes its prediction too), macro-F1
per fold and pooled over folds, F1 per intent (weakest first), and what the config's fallback
threshold would do to those predictions and to random gibberish.

    .venv/bin/python scripts/nlu_cv.py --config config.yml --folds 5
    .venv/bin/python scripts/nlu_cv.py --config /tmp/cfg.yml --predictions /tmp/cv.json

Rasa's training cache goes to a temporary folder unless RASA_CACHE_DIRECTORY is set, so
experiments do not fill the project's .rasa/cache.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import yaml  # noqa: E402


def gibberish(count: int, seed: int = 7) -> List[str]:
    """Keyboard mash: 1-3 'words' of 2-10 random letters, some with a digit or '?'."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = []
        for _ in range(rng.randint(1, 3)):
            word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
            if rng.random() < 0.15:
                word += rng.choice("0123456789?!")
            words.append(word)
        out.append(" ".join(words))
    return out


def nlu_only_config(config_path: Path, folder: Path) -> Tuple[Path, Dict[str, float]]:
    """The config without FallbackClassifier (and policies); returns its thresholds."""
    config = yaml.safe_load(config_path.read_text())
    fallback = {"threshold": 0.3, "ambiguity_threshold": 0.1}
    pipeline = []
    for component in config["pipeline"]:
        if component.get("name") == "FallbackClassifier":
            fallback.update({k: component[k] for k in fallback if k in component})
        else:
            pipeline.append(component)
    config["pipeline"] = pipeline
    config.pop("policies", None)
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, fallback


def falls_back(ranking: List[Dict[str, Any]], threshold: float, ambiguity: float) -> bool:
    """FallbackClassifier's rule: top confidence below threshold, or top two too close."""
    if not ranking or ranking[0]["confidence"] < threshold:
        return True
    return len(ranking) > 1 and ranking[0]["confidence"] - ranking[1]["confidence"] < ambiguity


async def run(args: argparse.Namespace) -> int:
    import numpy as np
    from sklearn.metrics import classification_report, f1_score
    from sklearn.model_selection import StratifiedKFold

    import rasa.model_training
    from rasa.core.agent import Agent
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    work = Path(tempfile.mkdtemp(prefix="nlu_cv_"))
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(work / "cache"))
    config_path, fallback = nlu_only_config(Path(args.config), work)
    importer = TrainingDataImporter.load_nlu_importer_from_config(
        str(config_path), training_data_paths=[args.data]
    )
    data = importer.get_nlu_data()
    examples = [e for e in data.intent_examples if e.get(TEXT) and e.get(INTENT)]
    labels = [e.get(INTENT) for e in examples]
    noise = gibberish(args.gibberish) if args.gibberish else []
    print(f"{len(examples)} examples, {len(set(labels))} intents, {args.folds} folds "
          f"(seed {args.seed}), config {args.config}")

    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    records: List[Dict[str, Any]] = []
    noise_tops: List[List[Dict[str, Any]]] = []
    fold_f1, train_seconds = [], []
    for fold, (train_idx, test_idx) in enumerate(folds.split(examples, labels), start=1):
        train = TrainingData(
            training_examples=[examples[i] for i in train_idx],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
        )
        train_file = work / f"train_{fold}.yml"
        RasaYAMLWriter().dump(train_file, train)
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            model = rasa.model_training.train_nlu(
                str(config_path), str(train_file), str(work), fixed_model_name=f"fold{fold}"
            )
        train_seconds.append(time.perf_counter() - started)
        agent = Agent.load(model)
        truth, predicted = [], []
        for i in test_idx:
            text = examples[i].get(TEXT)
            result = await agent.parse_message(text)
            ranking = result.get("intent_ranking") or [result["intent"]]
            truth.append(labels[i])
            predicted.append(result["intent"]["name"])
            records.append({"fold": fold, "text": text, "intent": labels[i],
                            "predicted": predicted[-1], "ranking": ranking[:3]})
        for text in noise:
            result = await agent.parse_message(text)
            noise_tops.append((result.get("intent_ranking") or [result["intent"]])[:3])
        names = sorted(set(truth) | set(predicted))
        fold_f1.append(f1_score(truth, predicted, labels=names, average="macro", zero_division=0))
        print(f"fold {fold}: macro-F1 {fold_f1[-1]:.4f}  "
              f"(train {train_seconds[-1]:.1f} s, {len(test_idx)} test messages)")

    truth = [r["intent"] for r in records]
    predicted = [r["predicted"] for r in records]
    report = classification_report(truth, predicted, output_dict=True, zero_division=0)
    accuracy = float(np.mean([t == p for t, p in zip(truth, predicted)]))
    print(f"macro-F1 per fold: mean {statistics.mean(fold_f1):.4f} "
          f"sd {statistics.stdev(fold_f1) if len(fold_f1) > 1 else 0:.4f}; "
          f"pooled over folds {report['macro avg']['f1-score']:.4f}; accuracy {accuracy:.4f}; "
          f"errors {sum(t != p for t, p in zip(truth, predicted))}/{len(truth)}")
    rows = sorted((v["f1-score"], k, v) for k, v in report.items()
                  if isinstance(v, dict) and k not in ("macro avg", "weighted avg"))
    print(f"{'intent':24} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}")
    for f1, name, row in rows[: args.weakest or len(rows)]:
        print(f"{name:24} {row['precision']:9.3f} {row['recall']:7.3f} {f1:6.3f} {row['support']:5}")

    thresholds = sorted({fallback["threshold"], *args.thresholds})
    ambiguity = fallback["ambiguity_threshold"]
    correct = [r for r in records if r["intent"] == r["predicted"]]
    wrong = [r for r in records if r["intent"] != r["predicted"]]
    print(f"fallback (ambiguity_threshold {ambiguity}): share of correct predictions lost, "
          f"of misclassifications caught" + (", of gibberish caught" if noise else ""))
    for threshold in thresholds:
        lost = sum(falls_back(r["ranking"], threshold, ambiguity) for r in correct)
        caught = sum(falls_back(r["ranking"], threshold, ambiguity) for r in wrong)
        line = (f"  threshold {threshold:.2f}: lost {lost}/{len(correct)} "
                f"({lost / max(1, len(correct)):.1%}), caught {caught}/{len(wrong)} "
                f"({caught / max(1, len(wrong)):.1%})")
        if noise:
            below = sum(falls_back(r, threshold, ambiguity) for r in noise_tops)
            line += f", gibberish {below}/{len(noise_tops)} ({below / len(noise_tops):.1%})"
        print(line)
    print(f"training per fold: mean {statistics.mean(train_seconds):.1f} s")
    if args.predictions:
        Path(args.predictions).write_text(json.dumps(
            {"config": args.config, "fold_macro_f1": fold_f1, "records": records,
             "gibberish": [{"text": t, "ranking": r} for t, r in
                           zip(noise * args.folds, noise_tops)]}, indent=1))
        print(f"predictions written to {args.predictions}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.yml"))
    parser.add_argument("--data", default=str(ROOT / "data"), help="training data (never tests/)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--weakest", type=int, default=10, help="intents to list (0: all)")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[0.3, 0.4, 0.5, 0.6])
    parser.add_argument("--gibberish", type=int, default=200,
                        help="random strings scored by every fold's model (0: none)")
    parser.add_argument("--predictions", help="write every prediction to this JSON file")
    args = parser.parse_args(argv)
    data = Path(args.data).resolve()
    if ROOT / "tests" in (data, *data.parents):
        parser.error("cross-validation runs on the training data, not on tests/")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else every parsed message is logged
    logging.getLogger().setLevel(logging.WARNING)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
