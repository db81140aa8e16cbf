"""all-MiniLM-L6-v2's encoder layers as an ONNX graph, run by ONNX Runtime.

Why: in numpy, a chat message cost ~4.7 ms in the encoder, most of it reading the 42 MB of
layer weights from memory for each of the few dozen matrix products. ONNX Runtime runs the
same graph with fused kernels in ~2.9 ms a message, tokenising included (float32, the same
embeddings to 1e-6), or, with the weights quantised to int8 per output channel, in ~0.9 ms
(cosine to the float embeddings 0.986 on average, 0.96 at worst). `precision` in config.yml
chooses; cross-validation (scripts/nlu_cv.py) scored int8 0.003-0.004 lower.

Knows nothing of Rasa or of tokenising: it takes the layer weights (addons/minilm.py reads
them) and returns a session whose input `x` is the embedded, normalised tokens (batch,
length, hidden) plus `mask` (batch, 1, 1, length: 0 for a token, a large negative number for
padding), and whose output `hidden` is the last layer's token vectors. The graph is the BERT
post-layer-norm encoder, op for op as Hugging Face's BertLayer computes it, with exact (erf)
GELU; the graph is built in memory at start-up (about a second), not stored.
"""
from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path
from typing import Any, List, Protocol

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

PRECISIONS = ("float32", "int8")
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
        self.weights: List[Any] = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: List[str], name: str, **attributes: Any) -> str:
        self.nodes.append(helper.make_node(kind, inputs, [name], name=name, **attributes))
        return name

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        product = self.op("MatMul", [x, self.const(f"{name}.w", weight.T.astype(np.float32))], f"{name}.mm")
        return self.op("Add", [product, self.const(f"{name}.b", bias.astype(np.float32))], name)

    def layer_norm(self, x: str, weight: np.ndarray, bias: np.ndarray, eps: float, name: str) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.const(f"{name}.w", weight.astype(np.float32)), self.const(f"{name}.b", bias.astype(np.float32))],
            name, axis=-1, epsilon=eps,
        )


def encoder_graph(layers: List[LayerWeights], heads: int, eps: float) -> onnx.ModelProto:
    """The encoder layers as one ONNX model (float32)."""
    hidden = layers[0].attn_out_w.shape[0]
    head_dim = hidden // heads
    g = _Graph()
    g.const("split_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    g.const("join_heads", np.array([0, 0, hidden], dtype=np.int64))
    g.const("score_scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    g.const("sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
    g.const("one", np.array(1.0, dtype=np.float32))
    g.const("half", np.array(0.5, dtype=np.float32))
    x = "x"
    for index, layer in enumerate(layers):
        p = f"layer{index}"

        def heads_of(part: int, perm: List[int]) -> str:
            rows = slice(part * hidden, (part + 1) * hidden)
            projected = g.linear(x, layer.qkv_w[rows], layer.qkv_b[rows], f"{p}.qkv{part}")
            split = g.op("Reshape", [projected, "split_heads"], f"{p}.split{part}")
            return g.op("Transpose", [split], f"{p}.heads{part}", perm=perm)

        query = heads_of(0, [0, 2, 1, 3])  # (b, heads, l, d)
        key = heads_of(1, [0, 2, 3, 1])  # (b, heads, d, l)
        value = heads_of(2, [0, 2, 1, 3])
        scores = g.op("Mul", [g.op("MatMul", [query, key], f"{p}.qk"), "score_scale"], f"{p}.scaled")
        probs = g.op("Softmax", [g.op("Add", [scores, "mask"], f"{p}.masked")], f"{p}.probs", axis=-1)
        context = g.op("Transpose", [g.op("MatMul", [probs, value], f"{p}.ctx")], f"{p}.ctxt", perm=[0, 2, 1, 3])
        joined = g.op("Reshape", [context, "join_heads"], f"{p}.joined")
        attended = g.linear(joined, layer.attn_out_w, layer.attn_out_b, f"{p}.attn_out")
        x = g.layer_norm(g.op("Add", [attended, x], f"{p}.res1"), layer.attn_ln_w, layer.attn_ln_b, eps, f"{p}.ln1")
        inner = g.linear(x, layer.inter_w, layer.inter_b, f"{p}.ff_in")
        erf = g.op("Erf", [g.op("Div", [inner, "sqrt2"], f"{p}.gelu_div")], f"{p}.gelu_erf")
        gated = g.op("Mul", [inner, g.op("Add", [erf, "one"], f"{p}.gelu_add")], f"{p}.gelu_mul")
        gelu = g.op("Mul", [gated, "half"], f"{p}.gelu")
        out = g.linear(gelu, layer.out_w, layer.out_b, f"{p}.ff_out")
        x = g.layer_norm(g.op("Add", [out, x], f"{p}.res2"), layer.out_ln_w, layer.out_ln_b, eps, f"{p}.ln2")
    g.op("Identity", [x], "hidden")
    graph = helper.make_graph(
        g.nodes, "minilm_encoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "length", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", 1, 1, "length"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "length", hidden])],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what onnxruntime 1.23 and onnx 1.17 both read
    return model


def _int8(model: onnx.ModelProto) -> bytes:
    """The model with its matrix weights in int8, one scale per output channel (per-tensor
    scales moved embeddings by up to 7%), activations quantised on the fly."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # its advice to "pre-process" is for CNNs, on the root logger
    try:
        with tempfile.TemporaryDirectory() as folder:
            source, target = Path(folder) / "float.onnx", Path(folder) / "int8.onnx"
            onnx.save(model, str(source))
            quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
            return target.read_bytes()
    finally:
        logging.disable(previous)


def encoder_session(
    layers: List[LayerWeights], heads: int, eps: float, precision: str = "float32"
) -> onnxruntime.InferenceSession:
    """An ONNX Runtime session of the encoder, on one thread (the Rasa server handles one
    message at a time; more threads would only compete with the action server)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    model = encoder_graph(layers, heads, eps)
    serialized = _int8(model) if precision == "int8" else model.SerializeToString()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    return onnxruntime.InferenceSession(serialized, options, providers=["CPUExecutionProvider"])
