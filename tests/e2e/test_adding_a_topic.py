"""docs/adding-a-topic.md, followed to the letter in a temporary copy of the project.

Each ```yaml block of the page whose header names a `file=` is put where the header says
(`after=LINE`: right after the first line that is exactly LINE; without it: appended, or a
new file). Then the copy is trained and started like scripts/run.sh does, and the new
question is asked over the REST webhook. The answer must be the new topic's, and the copy
must differ from the project in the page's files only: at most four.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

from ops.stack import PROJECT_ROOT

GUIDE = PROJECT_ROOT / "docs" / "adding-a-topic.md"
BLOCK = re.compile(r"^```yaml (?P<header>[^\n]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
MAX_FILES = 4


def guide_steps() -> List[Tuple[str, str, str]]:
    """(file, after-line or "", text) of every block that names a file, in the page's order."""
    steps = []
    for match in BLOCK.finditer(GUIDE.read_text(encoding="utf-8")):
        fields = dict(part.split("=", 1) for part in shlex.split(match.group("header")) if "=" in part)
        if "file" in fields:
            steps.append((fields["file"], fields.get("after", ""), match.group("body")))
    return steps


def apply_step(root: Path, name: str, after: str, text: str) -> None:
    path = root / name
    if not path.exists():
        path.write_text(text, encoding="utf-8")
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if after:
        at = next((i for i, line in enumerate(lines) if line.rstrip("\n") == after), None)
        assert at is not None, f"docs/adding-a-topic.md: {name} has no line {after!r}"
        lines.insert(at + 1, text)
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(text)
    path.write_text("".join(lines), encoding="utf-8")


def copy_project(target: Path) -> None:
    """The project's tracked files (what a fresh clone has), with this checkout's .venv."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = PROJECT_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "copy"],
                   cwd=target, check=True)


ASK = """
import json, sys
from ops.stack import Stack, free_port
from tests.chat import Chat
from pathlib import Path
stack = Stack(free_port(), free_port(), None, Path(sys.argv[1]), roles=("actions", "rasa")).start()
try:
    print(json.dumps([Chat(stack.rasa_url).text(message) for message in sys.argv[2:]]))
finally:
    stack.stop()
"""


def test_a_new_topic_takes_four_files_and_is_answered(tmp_path):
    steps = guide_steps()
    assert len(steps) >= 4, "docs/adding-a-topic.md lost its steps"
    copy = tmp_path / "project"
    copy.mkdir()
    copy_project(copy)
    for name, after, text in steps:
        apply_step(copy, name, after, text)

    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=copy,
                             check=True, capture_output=True, text=True).stdout.split("\n")
    changed = sorted(line[3:] for line in changed if line.strip())
    assert changed == sorted({name for name, _, _ in steps}) and len(changed) <= MAX_FILES

    env = {**os.environ, "PYTHONPATH": str(copy)}
    prepared = subprocess.run(
        ["bash", "-c", "source scripts/lib.sh && mkdir -p .run/logs && generate_nlu && train_if_needed"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=900)
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    validated = subprocess.run(
        [str(copy / ".venv" / "bin" / "rasa"), "data", "validate", "--data", "data", "--domain",
         "domain.yml", "--config", "config.yml"], cwd=copy, env=env, capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout[-3000:]

    asked = subprocess.run([sys.executable, "-c", ASK, str(tmp_path / "run"), "/ask_official_languages",
                            "which languages does interpol work in?"],
                           cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert asked.returncode == 0, asked.stderr[-3000:]
    by_intent, in_words = json.loads(asked.stdout.strip().splitlines()[-1])
    # The new intent is routed to the new topic; in words, the question gets the languages
    # (from the new topic, or from the overview's fact of the same name, whichever the NLU picks).
    assert "INTERPOL works in four official languages: Arabic, English, French and Spanish." in by_intent
    assert "Arabic, English, French and Spanish" in in_words
