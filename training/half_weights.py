"""Store a model's weights as float16 in its ONNX files, compute in float32.

The weights are first rounded to float16 in PyTorch, so the rounded model is the one that
is exported, calibrated and parity-checked, and the float16 copies hold it exactly. Each
stored weight feeds one Cast to float32, which ONNX Runtime folds when it loads the graph,
so inference costs the same and the files are half the size.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

SUFFIX = "::float16"


def round_to_half(model: torch.nn.Module) -> None:
    """Round every floating-point parameter and buffer to the nearest float16, in place."""
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())


def store_half(path: Path, names: set[str]) -> None:
    """Rewrite the float32 initializers named in ``names`` as float16 plus a Cast back.

    Raises ValueError if a weight is not exactly representable (it was not rounded first).
    """
    model = onnx.load(str(path))
    graph = model.graph
    casts = []
    for initializer in graph.initializer:
        name = initializer.name
        if name not in names or initializer.data_type != TensorProto.FLOAT:
            continue
        weights = numpy_helper.to_array(initializer)
        half = weights.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), weights):
            raise ValueError(f"{name} is not float16-exact; round the model first")
        initializer.CopyFrom(numpy_helper.from_array(half, name + SUFFIX))
        casts.append(helper.make_node("Cast", [name + SUFFIX], [name], to=TensorProto.FLOAT, name=f"cast_{name}"))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def stored_weights(path: Path) -> dict[str, np.ndarray]:
    """Every initializer of an ONNX file as float32 arrays, under its state-dict name."""
    return {initializer.name.removesuffix(SUFFIX): numpy_helper.to_array(initializer).astype(np.float32)
            if initializer.data_type == TensorProto.FLOAT16 else numpy_helper.to_array(initializer)
            for initializer in onnx.load(str(path)).graph.initializer}
