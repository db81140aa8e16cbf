"""The one place where Rasa's internals are replaced, and the versions that is safe for.

Rasa has no hook for three of the server's needs, so two of its module attributes and one
class method are swapped (docs/upgrading.md lists every private symbol the project relies on
and the test that guards each):

* ``rasa.utils.train_utils`` and ``ModelMetadata.from_dict`` -> rasa_server/engine/
  training_imports.py (what only training needs is imported when used, so that serving never
  loads TensorFlow: 425 MB of the server's memory). Installed first, before anything imports
  Rasa's dialogue modules;

* ``rasa.core.processor.DaskGraphRunner`` -> rasa_server/engine/graph_runner.py (the model
  graph run in a cached order instead of a dask plan per message);
* ``RemoteAction`` in ``rasa.core.actions.action`` and ``rasa.core.actions.forms`` ->
  rasa_server/action_calls/resilient.py (an action that fails or is slow gets the person an
  apology; only the latest events are sent; with ``actions_module:`` in endpoints.yml the
  actions run in this process, rasa_server/action_calls/in_process.py).

Both were written against the exact Rasa and rasa-sdk releases pinned in
requirements/lock.txt; on any other release the server refuses to start instead of running
with patches that may no longer fit.
"""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Dict, Iterable, List, Optional

LOCK_FILE = Path(__file__).resolve().parent.parent / "requirements" / "lock.txt"
GUARDED_DISTRIBUTIONS = ("rasa", "rasa-sdk")


class UnsupportedVersion(RuntimeError):
    """An installed release differs from the one the patches were written for."""


def pinned_versions(lock_file: Path, names: Iterable[str] = GUARDED_DISTRIBUTIONS) -> Dict[str, str]:
    """The ``name==version`` pins of ``names`` in the lock file (the one place they are typed)."""
    wanted = {name.lower() for name in names}
    pins: Dict[str, str] = {}
    for line in lock_file.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", line.strip())
        if match and match.group(1).lower() in wanted:
            pins[match.group(1).lower()] = match.group(2)
    missing = wanted - pins.keys()
    if missing:
        raise UnsupportedVersion(f"{lock_file} pins no version of {', '.join(sorted(missing))}.")
    return pins


def version_problems(pins: Dict[str, str]) -> List[str]:
    """One line per guarded distribution whose installed version is not the pinned one."""
    problems = []
    for name, pinned in sorted(pins.items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            problems.append(f"{name} {installed} is installed, but the Rasa server's patches were "
                            f"written for {name} {pinned} ({LOCK_FILE.name}).")
    return problems


def check_versions(lock_file: Optional[Path] = None) -> None:
    """Raises UnsupportedVersion naming each release that differs from its pin."""
    problems = version_problems(pinned_versions(lock_file or LOCK_FILE))
    if problems:
        raise UnsupportedVersion(
            " ".join(problems) + " Install the pinned versions (scripts/run.sh does), or port the "
            "patches as docs/upgrading.md describes and update the lock file.")


def install() -> None:
    """Checks the versions, then installs every replacement of a Rasa internal."""
    check_versions()
    from rasa_server.engine import training_imports

    training_imports.install()
    from rasa_server.action_calls import resilient
    from rasa_server.engine import graph_runner

    graph_runner.install()
    resilient.install()
