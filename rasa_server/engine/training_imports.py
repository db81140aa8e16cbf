"""What only training needs is imported when something uses it, so that serving never loads
TensorFlow.

No component of config.yml uses TensorFlow, yet importing it made 425 of the Rasa server's
812 MB (bench, 2026-12-04: 200 MB of Python objects and 230 MB of its shared libraries). Two
imports pulled it in while a model is served:

* ``rasa.nlu.extractors.extractor`` (imported by the dialogue policies) imports
  ``rasa.utils.train_utils`` for its functions, and that module imports TensorFlow's Keras
  callbacks at its top. It becomes a `DeferredModule`: a placeholder in ``sys.modules`` that
  imports the real module the first time one of its names is read.
* ``ModelMetadata.from_dict`` resolves every class of the model's *training* graph, among them
  ``DefaultV1RecipeValidator``, which imports DIET, TED and the ResponseSelector. The served
  model never runs that graph; its schema becomes a `TrainSchemaOnDemand`, resolved the
  first time its nodes are read (``rasa train --finetune`` reads them, and gets them).

Nothing changes but when an import happens: any use loads the real thing. Measured on the
trained model: the served process 418 MB instead of 770 MB after loading the model and
answering, start-up 1.6 s sooner. tests/e2e/test_memory.py checks that the running server
has not mapped TensorFlow's library; tests/unit/test_training_imports.py checks the
placeholders load what they stand for.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any, Dict, Iterable, Optional, Sequence

from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.engine.storage.storage import ModelMetadata

# Modules of Rasa that import TensorFlow at their top and are imported while serving only for
# functions that training calls.
DEFERRED_MODULES = ("rasa.utils.train_utils",)


class DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module until one of its names is read, then imports it.

    Dunder names (``__spec__``, ``__path__``) answer without importing: the import system
    reads them when a module is imported a second time or a name is taken from it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(self._load(), name)

    def _load(self) -> types.ModuleType:
        name = self.__name__
        _DeferringFinder.loading.add(name)
        try:
            if sys.modules.get(name) is self:
                del sys.modules[name]
            real = importlib.import_module(name)
        finally:
            _DeferringFinder.loading.discard(name)
        self.__dict__.update(real.__dict__)  # whoever holds the placeholder sees the module
        return real


class _PlaceholderLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return DeferredModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing runs until a name is read (DeferredModule._load)."""


class _DeferringFinder(importlib.abc.MetaPathFinder):
    loading: set = set()

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, name: str, path: Optional[Sequence[str]] = None,
                  target: Optional[types.ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if name not in self.names or name in self.loading:
            return None
        if importlib.machinery.PathFinder.find_spec(name, path) is None:
            return None
        return importlib.machinery.ModuleSpec(name, _PlaceholderLoader())


class TrainSchemaOnDemand(GraphSchema):
    """A model's training graph, its component classes imported when its nodes are read."""

    def __init__(self, serialized: Dict[str, Any]) -> None:  # noqa: super().__init__ not called
        self._serialized = serialized
        self._nodes: Optional[Dict[str, SchemaNode]] = None

    @property  # type: ignore[override]
    def nodes(self) -> Dict[str, SchemaNode]:
        if self._nodes is None:
            self._nodes = GraphSchema.from_dict(self._serialized).nodes
        return self._nodes


def _metadata_with_train_schema_on_demand(original):
    def from_dict(serialized: Dict[str, Any]) -> ModelMetadata:
        metadata = original({**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = TrainSchemaOnDemand(serialized["train_schema"])
        return metadata

    from_dict.__wrapped__ = original  # type: ignore[attr-defined]
    return staticmethod(from_dict)


def install() -> None:
    """Defers DEFERRED_MODULES and the training graph's classes (before anything imports them)."""
    if not any(isinstance(finder, _DeferringFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _DeferringFinder(DEFERRED_MODULES))
    if not hasattr(ModelMetadata.from_dict, "__wrapped__"):
        ModelMetadata.from_dict = _metadata_with_train_schema_on_demand(ModelMetadata.from_dict)
