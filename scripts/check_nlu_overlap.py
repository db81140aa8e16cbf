#!/usr/bin/env python3
"""Check that the held-out NLU test set does not overlap the NLU training data.

For every test example, report it if a training example is identical or
near-identical to it:
  * identical after normalisation (entity markup removed, lowercased,
    punctuation dropped, whitespace collapsed), or
  * difflib.SequenceMatcher ratio of the normalised texts above the threshold
    (default 0.9).

Exit status: 1 if any overlap was found, 0 otherwise (2 on usage/parse errors).

Usage:
  python scripts/check_nlu_overlap.py [--train data/nlu] [--test tests/nlu]
                                      [--threshold 0.9]

Only PyYAML and the standard library are needed (no Rasa import), so it runs
fast in CI. Files under the training directory are read recursively
(*.yml / *.yaml); entries without an "intent" key (synonyms, lookups, regexes)
are ignored.
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# [text](entity), [text]{"entity": ...}, [text]{...}(...) -> text
ENTITY_RE = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})+")


def normalise(text: str) -> str:
    text = ENTITY_RE.sub(r"\1", text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'")
    text = re.sub(r"'", "", text)  # don't -> dont, so both spellings match
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def parse_examples(block: str) -> list[str]:
    examples = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("- "):
            examples.append(line[2:].strip())
        elif line == "-":
            continue
    return examples


def load_nlu_file(path: Path) -> list[tuple[str, str]]:
    """Return (intent, raw example) pairs of one Rasa YAML NLU file."""
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    items = []
    for entry in doc.get("nlu") or []:
        if not isinstance(entry, dict) or "intent" not in entry:
            continue
        examples = entry.get("examples")
        if isinstance(examples, str):
            raw = parse_examples(examples)
        elif isinstance(examples, list):  # extended format: list of {text: ...}
            raw = [e.get("text", "") if isinstance(e, dict) else str(e) for e in examples]
        else:
            raw = []
        items.extend((entry["intent"], ex) for ex in raw if ex)
    return items


def collect(path: Path) -> list[tuple[str, str, str]]:
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*") if p.suffix in (".yml", ".yaml")
    )
    out = []
    for f in files:
        for intent, ex in load_nlu_file(f):
            out.append((intent, ex, str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=str(ROOT / "data" / "nlu"))
    ap.add_argument("--test", default=str(ROOT / "tests" / "nlu"))  # every held-out file
    ap.add_argument("--threshold", type=float, default=0.9)
    args = ap.parse_args(argv)

    train_path, test_path = Path(args.train), Path(args.test)
    if not train_path.exists() or not test_path.exists():
        print(f"missing input: {train_path if not train_path.exists() else test_path}", file=sys.stderr)
        return 2
    try:
        train = collect(train_path)
        test = collect(test_path)
    except yaml.YAMLError as exc:
        print(f"YAML error: {exc}", file=sys.stderr)
        return 2

    train_norm = [(normalise(ex), intent, ex, src) for intent, ex, src in train]
    by_text: dict[str, list] = {}
    for item in train_norm:
        by_text.setdefault(item[0], []).append(item)

    problems = 0
    for t_intent, t_ex, _ in test:
        t_norm = normalise(t_ex)
        hits = []
        for n, intent, ex, src in by_text.get(t_norm, []):
            hits.append((1.0, "identical", intent, ex, src))
        if not hits:
            sm = difflib.SequenceMatcher(autojunk=False)
            sm.set_seq2(t_norm)
            for n, intent, ex, src in train_norm:
                sm.set_seq1(n)
                if sm.real_quick_ratio() <= args.threshold or sm.quick_ratio() <= args.threshold:
                    continue
                r = sm.ratio()
                if r > args.threshold:
                    hits.append((r, "near-identical", intent, ex, src))
        if hits:
            problems += 1
            hits.sort(key=lambda h: -h[0])
            r, kind, intent, ex, src = hits[0]
            print(
                f"{kind} ({r:.2f}): test [{t_intent}] {t_ex!r}\n"
                f"    ~ train [{intent}] {ex!r} ({src})"
            )

    print(
        f"checked {len(test)} test examples against {len(train)} training examples: "
        f"{problems} overlapping",
        file=sys.stderr,
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
