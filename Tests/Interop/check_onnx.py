#!/usr/bin/env python3
"""Checks a model exported by `digits export --format onnx` with onnx and ONNX Runtime.

  check_onnx.py --model model.onnx --images images.f32 --expected probabilities.f32 [--readme README.md]

images.f32: N*784 little-endian Float32 (pixel/255, white ink on black), the inputs digits used;
probabilities.f32: N*C Float32 (C classes), digits' own probabilities for them. Checks, each printed:
  1. onnx.checker (full check, with shape inference) passes; opset >= 17; the input is
     [N,1,28,28] float with a symbolic N, the output [N,C] with C the metadata's classes; metadata_props hold the keys
     docs/MODEL-FORMAT.md lists;
  2. ONNX Runtime's probabilities equal digits' within 1e-5 at batch size N (all at once)
     and batch size 1 (one image at a time);
  3. with --readme: the README's "Serving elsewhere" Python snippet runs against the model.
Exit status 0 when all pass, 1 otherwise. Needs: pip install onnx onnxruntime numpy.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

TOLERANCE = 1e-5
METADATA_KEYS = {"format", "format_version", "architecture", "input", "dataset", "classes", "history",
                 "onnx_input", "onnx_output"}


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def check_structure(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < 17:
        fail(f"opset {opset} < 17")
    (graph_input,) = model.graph.input
    (graph_output,) = model.graph.output
    dims = [d.dim_param or d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    if graph_input.type.tensor_type.elem_type != onnx.TensorProto.FLOAT or len(dims) != 4 \
            or not isinstance(dims[0], str) or not dims[0] or dims[1:] != [1, 28, 28]:
        fail(f"input {graph_input.name} has shape {dims}, expected [N,1,28,28] float with a symbolic N")
    out_dims = [d.dim_param or d.dim_value for d in graph_output.type.tensor_type.shape.dim]
    metadata = {p.key: p.value for p in model.metadata_props}
    classes = len(json.loads(metadata.get("classes", "[]")))
    if out_dims[1:] != [classes]:
        fail(f"output {graph_output.name} has shape {out_dims}, expected [N,{classes}] (the metadata's classes)")
    missing = METADATA_KEYS - metadata.keys()
    if missing:
        fail(f"metadata_props lack {sorted(missing)}")
    ops = [n.op_type for n in model.graph.node]
    print(f"ok: onnx.checker passes; opset {opset}; input {graph_input.name} {dims}; output {graph_output.name} "
          f"{out_dims}; ops {' '.join(ops)}; metadata {sorted(metadata)}")
    return graph_input.name, graph_output.name


def check_runtime(path, input_name, output_name, images, expected):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    n = len(images)
    batch = session.run([output_name], {input_name: images})[0]
    single = np.concatenate([session.run([output_name], {input_name: images[i:i + 1]})[0] for i in range(n)])
    for name, got in (("batch %d" % n, batch), ("batch 1", single)):
        if got.shape != expected.shape:
            fail(f"{name}: ONNX Runtime answered shape {got.shape}, expected {expected.shape}")
        difference = np.abs(got - expected)
        worst = np.unravel_index(difference.argmax(), difference.shape)
        if difference.max() > TOLERANCE:
            fail(f"{name}: max |ORT - digits| = {difference.max():.3g} at image {worst[0]} class {worst[1]} "
                 f"(ORT {got[worst]:.8f}, digits {expected[worst]:.8f}), tolerance {TOLERANCE}")
        print(f"ok: {name}: max |ORT - digits| = {difference.max():.3g} over {n} images (tolerance {TOLERANCE}); "
              f"same top class for {(got.argmax(1) == expected.argmax(1)).sum()}/{n}")


def check_readme(readme, model_path):
    """Runs the Python block of the README's "Serving elsewhere" section in a folder holding model.onnx."""
    text = open(readme, encoding="utf-8").read()
    section = re.search(r"^## Serving elsewhere\n(.*?)(?=^## )", text, re.S | re.M)
    if not section:
        fail(f"{readme} has no '## Serving elsewhere' section")
    blocks = re.findall(r"```python\n(.*?)```", section.group(1), re.S)
    if len(blocks) != 1:
        fail(f"{readme}: 'Serving elsewhere' has {len(blocks)} python blocks, expected 1")
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(model_path, os.path.join(folder, "model.onnx"))
        result = subprocess.run([sys.executable, "-c", blocks[0]], cwd=folder, capture_output=True, text=True,
                                timeout=120)
    if result.returncode != 0:
        fail(f"README snippet exited {result.returncode}:\n{result.stdout}{result.stderr}")
    print(f"ok: README snippet ran: {result.stdout.strip()}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--expected", required=True)
    parser.add_argument("--readme")
    args = parser.parse_args()
    images = np.fromfile(args.images, dtype="<f4").reshape(-1, 1, 28, 28)
    expected = np.fromfile(args.expected, dtype="<f4").reshape(len(images), -1)
    if len(images) != len(expected):
        fail(f"{len(images)} images but {len(expected)} expected rows")
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    input_name, output_name = check_structure(args.model)
    check_runtime(args.model, input_name, output_name, images, expected)
    if args.readme:
        check_readme(args.readme, args.model)


if __name__ == "__main__":
    main()
