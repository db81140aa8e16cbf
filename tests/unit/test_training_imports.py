"""What only training needs is imported when used (rasa_server/engine/training_imports.py):
the placeholders give what they stand for, and only when it is read."""
from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path
from typing import Iterator

import pytest
from rasa.engine.storage.storage import ModelMetadata

from rasa_server.engine import training_imports
from rasa_server.engine.training_imports import DeferredModule, TrainSchemaOnDemand

MODEL = Path(__file__).resolve().parents[2] / "models" / "assistant.tar.gz"


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module that counts how often it runs, on the path and deferred."""
    (tmp_path / "deferred_probe.py").write_text(
        "import builtins\nbuiltins.deferred_probe_runs = getattr(builtins, 'deferred_probe_runs', 0) + 1\n"
        "ANSWER = 42\ndef double(x):\n    return 2 * x\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", [training_imports._DeferringFinder(["deferred_probe"]), *sys.meta_path])
    import builtins
    monkeypatch.setattr(builtins, "deferred_probe_runs", 0, raising=False)
    yield "deferred_probe"
    sys.modules.pop("deferred_probe", None)


def test_a_deferred_module_runs_only_when_a_name_is_read_and_then_once(probe: str) -> None:
    import builtins

    import deferred_probe  # noqa: F401
    import deferred_probe as again  # a second import reads __spec__: it must not load
    assert isinstance(again, DeferredModule) and builtins.deferred_probe_runs == 0
    assert again.double(4) == 8 and again.ANSWER == 42
    from deferred_probe import ANSWER
    assert ANSWER == 42 and builtins.deferred_probe_runs == 1
    assert sys.modules["deferred_probe"] is not again and sys.modules["deferred_probe"].ANSWER == 42


def test_a_deferred_module_that_is_missing_is_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "meta_path", [training_imports._DeferringFinder(["no_such_probe"]), *sys.meta_path])
    with pytest.raises(ModuleNotFoundError):
        import no_such_probe  # noqa: F401


def serialized_metadata() -> dict:
    if not MODEL.exists():
        pytest.skip("no trained model (scripts/test.sh trains it first)")
    with tarfile.open(MODEL) as archive:
        return json.load(archive.extractfile("metadata.json"))


def test_the_training_graph_on_demand_is_the_one_rasa_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    serialized = serialized_metadata()
    rasas = ModelMetadata.from_dict(json.loads(json.dumps(serialized)))
    monkeypatch.setattr(ModelMetadata, "from_dict", ModelMetadata.__dict__["from_dict"])
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # both restored when the test ends
    training_imports.install()
    ours = ModelMetadata.from_dict(json.loads(json.dumps(serialized)))
    assert isinstance(ours.train_schema, TrainSchemaOnDemand)
    assert ours.predict_schema == rasas.predict_schema and ours.domain.as_dict() == rasas.domain.as_dict()
    assert ours.train_schema.as_dict() == rasas.train_schema.as_dict()
    assert ours.as_dict() == rasas.as_dict()


def test_the_training_graph_classes_are_imported_only_when_its_nodes_are_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train_only_probe.py").write_text(
        "from rasa.engine.graph import GraphComponent\nclass Probe(GraphComponent):\n    pass\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    node = {"needs": {}, "uses": "train_only_probe.Probe", "constructor_name": "create", "fn": "x",
            "config": {}, "eager": False, "is_target": True, "is_input": False, "resource": None}
    schema = TrainSchemaOnDemand({"nodes": {"probe": dict(node)}})
    assert "train_only_probe" not in sys.modules
    assert schema.nodes["probe"].uses.__name__ == "Probe" and schema.target_names == ["probe"]
    sys.modules.pop("train_only_probe", None)
