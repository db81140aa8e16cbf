"""all-MiniLM-L6-v2's encoder layers as an ONNX graph, run by ONNX Runtime.

Why: in numpy, a chat message cost ~4.7 ms in the encoder, most of it reading the 42 MB of
layer weights from memory for each of the few dozen matrix products. ONNX Runtime runs the
same graph with fused kernels in ~2.9 ms a message, tokenising included, with the same
embeddings (to 1e-6). Weights quantised to int8 per output channel ran in ~0.9 ms but scored
0.003-0.004 lower in cross-validation (scripts/nlu_cv.py, two seeds), so they are not used.

Knows nothing of Rasa or of tokenising: `export_encoder` takes the layer weights
(rasa_server/nlu/minilm.py reads them) and writes the graph to a folder (the trained Rasa model's, see
rasa_server/nlu/sentence_featurizer.py); `EncoderSession` runs it. Its input `x` is the embedded,
normalised tokens (batch, length, hidden) plus `mask` (batch, 1, 1, length: 0 for a token, a
large negative number for padding), its output the last layer's token vectors. The graph is
the BERT post-layer-norm encoder, op for op as Hugging Face's BertLayer computes it, with
exact (erf) GELU.

Why a file: a session made from a file reads the weights itself, packs them for its matrix
kernels and keeps only the packed copy (+48 MB for the server). Made from Python objects, the
same weights were held twice more (the numpy arrays and the protobuf's copy: +130 MB).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, List, Protocol

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # LayerNormalization is a standard operator from 17 on


class LayerWeights(Protocol):
    """One encoder layer in torch's (out, in) layout, query/key/value stacked (3h, h)."""

    qkv_w: np.ndarray
    qkv_b: np.ndarray
    attn_out_w: np.ndarray
    attn_out_b: np.ndarray
    attn_ln_w: np.ndarray
    attn_ln_b: np.ndarray
    inter_w: np.ndarray
    inter_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    out_ln_w: np.ndarray
    out_ln_b: np.ndarray


class _Graph:
    """Collects nodes and weights; each helper returns the name of the value it computes."""

    def __init__(self) -> None:
        self.nodes: List[Any] = []
        self.initializers: List[Any] = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: List[str], name: str, **attributes: Any) -> str:
        self.nodes.append(helper.make_node(kind, inputs, [name], name=name, **attributes))
        return name

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        """x (tokens, in) times weight (out, in) transposed, plus bias: the weight is used in
        torch's layout, as read from the file (a transposed copy would cost 42 MB more)."""
        return self.op("Gemm", [x, self.const(f"{name}.w", weight), self.const(f"{name}.b", bias)],
                       name, transB=1)

    def layer_norm(self, x: str, weight: np.ndarray, bias: np.ndarray, eps: float, name: str) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.const(f"{name}.w", weight), self.const(f"{name}.b", bias)],
            name, axis=-1, epsilon=eps,
        )


def encoder_graph(layers: List[LayerWeights], heads: int, eps: float) -> onnx.ModelProto:
    """The encoder layers as an ONNX model (float32)."""
    hidden = layers[0].attn_out_w.shape[0]
    head_dim = hidden // heads
    g = _Graph()
    # The dense layers work on (batch * length, hidden); attention needs (batch, length, ...).
    g.const("flat", np.array([-1, hidden], dtype=np.int64))
    g.const("head_dims", np.array([heads, head_dim], dtype=np.int64))
    g.const("hidden_dim", np.array([hidden], dtype=np.int64))
    batch_length = g.op("Slice", ["input_shape", g.const("zero", np.array([0], dtype=np.int64)),
                                  g.const("two", np.array([2], dtype=np.int64))], "batch_length")
    g.nodes.insert(0, helper.make_node("Shape", ["x"], ["input_shape"], name="input_shape"))
    split_heads = g.op("Concat", [batch_length, "head_dims"], "split_heads", axis=0)
    unflat = g.op("Concat", [batch_length, "hidden_dim"], "unflat", axis=0)
    g.const("score_scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    g.const("sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
    g.const("one", np.array(1.0, dtype=np.float32))
    g.const("half", np.array(0.5, dtype=np.float32))
    x = g.op("Reshape", ["x", "flat"], "x_flat")
    for index, layer in enumerate(layers):
        p = f"layer{index}"

        def heads_of(part: int, perm: List[int]) -> str:
            rows = slice(part * hidden, (part + 1) * hidden)  # a view: no copy
            projected = g.linear(x, layer.qkv_w[rows], layer.qkv_b[rows], f"{p}.qkv{part}")
            split = g.op("Reshape", [projected, split_heads], f"{p}.split{part}")
            return g.op("Transpose", [split], f"{p}.heads{part}", perm=perm)

        query = heads_of(0, [0, 2, 1, 3])  # (b, heads, l, d)
        key = heads_of(1, [0, 2, 3, 1])  # (b, heads, d, l)
        value = heads_of(2, [0, 2, 1, 3])
        scores = g.op("Mul", [g.op("MatMul", [query, key], f"{p}.qk"), "score_scale"], f"{p}.scaled")
        probs = g.op("Softmax", [g.op("Add", [scores, "mask"], f"{p}.masked")], f"{p}.probs", axis=-1)
        context = g.op("Transpose", [g.op("MatMul", [probs, value], f"{p}.ctx")], f"{p}.ctxt", perm=[0, 2, 1, 3])
        joined = g.op("Reshape", [context, "flat"], f"{p}.joined")
        attended = g.linear(joined, layer.attn_out_w, layer.attn_out_b, f"{p}.attn_out")
        x = g.layer_norm(g.op("Add", [attended, x], f"{p}.res1"), layer.attn_ln_w, layer.attn_ln_b, eps, f"{p}.ln1")
        inner = g.linear(x, layer.inter_w, layer.inter_b, f"{p}.ff_in")
        erf = g.op("Erf", [g.op("Div", [inner, "sqrt2"], f"{p}.gelu_div")], f"{p}.gelu_erf")
        gated = g.op("Mul", [inner, g.op("Add", [erf, "one"], f"{p}.gelu_add")], f"{p}.gelu_mul")
        gelu = g.op("Mul", [gated, "half"], f"{p}.gelu")
        out = g.linear(gelu, layer.out_w, layer.out_b, f"{p}.ff_out")
        x = g.layer_norm(g.op("Add", [out, x], f"{p}.res2"), layer.out_ln_w, layer.out_ln_b, eps, f"{p}.ln2")
    g.op("Reshape", [x, unflat], "hidden")
    graph = helper.make_graph(
        g.nodes, "minilm_encoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "length", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", 1, 1, "length"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "length", hidden])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what onnxruntime 1.23 and onnx 1.17 both read
    return model


GRAPH_FILE = "minilm_encoder.onnx"
WEIGHTS_FILE = "minilm_encoder.weights"


def export_encoder(layers: List[LayerWeights], heads: int, eps: float, folder: Path) -> Path:
    """Writes the graph (and its weights beside it, as ONNX external data) into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save_model(encoder_graph(layers, heads, eps), str(folder / GRAPH_FILE),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location=WEIGHTS_FILE, size_threshold=1024)
    return folder / GRAPH_FILE


class EncoderSession:
    """The exported encoder in ONNX Runtime, by default on one thread: the Rasa server handles
    one message at a time, and more threads would only compete with the action server.
    Training, alone on the machine, featurizes with `threads=0` (every core)."""

    def __init__(self, graph_file: Path, threads: int = 1) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        self._session = onnxruntime.InferenceSession(
            str(graph_file), options, providers=["CPUExecutionProvider"]
        )

    def run(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token vectors of the last layer for embedded tokens `x` and additive `mask`."""
        return self._session.run(None, {"x": x, "mask": mask})[0]
