#!/usr/bin/env python3
"""The forward pass over the 10,000 MNIST test digits: ONNX Runtime against `digits evaluate`.

Rebuilds the seed network as an ONNX graph (onnx.helper) from a digits model file (safetensors:
an 8-byte header length, a JSON header, raw little-endian float32), runs it with ONNX Runtime's
CPU provider on the test images scaled to [0, 1] (the model's input normalisation), and times
`InferenceSession.run` in batches of 500, like digits' Evaluator. Then runs `digits evaluate`
on each CPU path (DIGITS_CPU) in the same run and prints its "forward pass" line.

Usage (from the repository root, after `swift build -c release`):
  python3 -m venv .build-venv-a && .build-venv-a/bin/pip install onnxruntime onnx numpy
  .build-venv-a/bin/python Benchmarks/ONNX/forward.py [--data DIR] [--model FILE] [--threads N]
"""
import argparse, gzip, json, os, struct, subprocess, time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def read_safetensors(path):
    blob = open(path, "rb").read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    header.pop("__metadata__", None)
    base = 8 + length
    return {name: np.frombuffer(blob[base + t["data_offsets"][0]:base + t["data_offsets"][1]], dtype="<f4").reshape(t["shape"])
            for name, t in header.items()}


def read_idx(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


def find(folder, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise SystemExit(f"{folder}: missing {stem}")


def seed_network(w):
    """Conv32-ReLU-Pool-Conv64-ReLU-Pool-Flatten(NCHW)-Dense128-ReLU-Dense10, then softmax."""
    init = [numpy_helper.from_array(np.ascontiguousarray(w[n]), n) for n in w]
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "fc1.weight", "fc1.bias"], ["d1"], transB=1),
        helper.make_node("Relu", ["d1"], ["h"]),
        helper.make_node("Gemm", ["h", "fc2.weight", "fc2.bias"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["p"], axis=1),
    ]
    graph = helper.make_graph(nodes, "digits-seed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 28, 28])],
                              [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["n", 10])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.environ.get("DIGITS_DATA", os.path.join(root, "..", "shared", "datasets", "mnist")))
    parser.add_argument("--model", default=os.path.join(root, "Sources", "_DefaultModelData", "default.safetensors"))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    images = read_idx(find(args.data, "t10k-images-idx3-ubyte")).astype(np.float32).reshape(-1, 1, 28, 28) / 255.0
    labels = read_idx(find(args.data, "t10k-labels-idx1-ubyte"))
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(seed_network(read_safetensors(args.model)).SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    batches = [images[i:i + 500] for i in range(0, len(images), 500)]
    best = float("inf")
    for _ in range(args.runs):
        start = time.perf_counter()
        probabilities = np.concatenate([session.run(["p"], {"x": b})[0] for b in batches])
        best = min(best, time.perf_counter() - start)
    accuracy = float((probabilities.argmax(1) == labels).mean())
    print(f"onnxruntime {ort.__version__}, {args.threads} threads: {len(images)} images in {best:.3f} s (best of {args.runs}), "
          f"{len(images) / best:.0f} images/s, accuracy {accuracy:.4f}")
    one = images[:1]
    times = []
    for _ in range(200):
        start = time.perf_counter()
        session.run(["p"], {"x": one})
        times.append(time.perf_counter() - start)
    print(f"onnxruntime one image: median {np.median(times) * 1e6:.0f} us")

    digits = os.path.join(root, ".build", "release", "digits")
    for path in ("avx512", "avx2", "portable"):
        env = dict(os.environ, DIGITS_CPU=path)
        lines = []
        for _ in range(args.runs):
            out = subprocess.run([digits, "evaluate", "--model", args.model, "--data", args.data, "--backend", "cpu",
                                  "--threads", str(args.threads)], env=env, capture_output=True, text=True)
            lines += [l for l in (out.stdout + out.stderr).splitlines() if l.startswith("forward pass") or l.startswith("Error")]
        print(f"digits {path}: " + (min(lines, key=lambda l: float(l.split(" in ")[1].split(" s")[0])) if lines and "Error" not in lines[0] else str(lines[:1])))


if __name__ == "__main__":
    main()
