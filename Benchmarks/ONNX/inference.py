#!/usr/bin/env python3
"""Inference, digits against what a user would pick instead, in one run on one machine.

1. The forward pass over the 10,000 MNIST test digits: ONNX Runtime (the seed network rebuilt
   with onnx.helper from a digits model file, CPU provider, its best batch size of 32, 64, 128
   and 500) against `digits evaluate`'s "forward pass" line on every CPU path, 1 and 2 threads.
2. One picture at a time (the drawing page's case): ONNX Runtime's session.run on each of the
   10,000 images, one by one, against `digits evaluate --batch-size 1` (each call's time, in
   process). Median and p99.
3. `digits evaluate` as a whole process (start, reading the model and the test files, the
   forward pass, the report) against its own forward pass.
4. With --pictures DIR (made by make-pictures.py): `digits predict DIR` against a Python
   pipeline a user would write (Pillow decode, the MNIST layout in numpy, ONNX Runtime), in
   pictures per second.

Usage (from the repository root, after `swift build -c release --product digits`):
  python3 -m venv .build-venv-a && .build-venv-a/bin/pip install onnxruntime onnx numpy pillow
  .build-venv-a/bin/python Benchmarks/ONNX/inference.py [--data DIR] [--model FILE] [--runs N]
      [--pictures DIR] [--digits BINARY]
"""
import argparse, json, os, platform, struct, subprocess, time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from mnist_files import default_folder, find, read_idx

# Multiply-adds x 2 of one image through the seed network: conv1 26*26*32*9, conv2
# 11*11*64*288, fc1 1600*128, fc2 128*10.
FLOP_PER_IMAGE = 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 128 + 128 * 10)


def read_safetensors(path):
    blob = open(path, "rb").read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    header.pop("__metadata__", None)
    base = 8 + length
    return {name: np.frombuffer(blob[base + t["data_offsets"][0]:base + t["data_offsets"][1]], dtype="<f4").reshape(t["shape"])
            for name, t in header.items()}


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


def session(model, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def digits_lines(digits, args, extra, env=None, runs=None, backend="cpu"):
    """Runs `digits evaluate` `runs` times; returns (forward lines, whole-process seconds)."""
    lines, wall = [], []
    for _ in range(runs or args.runs):
        start = time.perf_counter()
        out = subprocess.run([digits, "evaluate", "--model", args.model, "--data", args.data, "--backend", backend] + extra,
                             env=env, capture_output=True, text=True)
        wall.append(time.perf_counter() - start)
        if out.returncode != 0:
            raise SystemExit(f"digits evaluate failed: {out.stderr.strip()}")
        lines += [l for l in (out.stdout + out.stderr).splitlines() if l.startswith("forward pass")]
    return lines, wall


def seconds_of(line):
    return float(line.split(" in ")[1].split(" s")[0])


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=default_folder())
    parser.add_argument("--model", default=os.path.join(root, "Sources", "_DefaultModelData", "default.safetensors"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pictures", help="folder of pictures from make-pictures.py: also time predict")
    parser.add_argument("--paths", default="avx512,avx2", help="digits CPU paths to run")
    parser.add_argument("--digits", default=os.path.join(root, ".build", "release", "digits"),
                        help="the digits binary (another build, to compare two side by side)")
    args = parser.parse_args()
    digits = args.digits
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"machine: {cpu}, {os.cpu_count()} cores; onnxruntime {ort.__version__} (CPU provider, inter-op 1 thread)")

    images = read_idx(find(args.data, "t10k-images-idx3-ubyte")).astype(np.float32).reshape(-1, 1, 28, 28) / 255.0
    labels = read_idx(find(args.data, "t10k-labels-idx1-ubyte"))
    model = seed_network(read_safetensors(args.model))

    print("\n## forward pass over 10,000 images (best of runs)")
    for threads in (1, 2):
        s = session(model, threads)
        best = (float("inf"), 0, 0)
        for batch in (32, 64, 128, 500):
            for _ in range(args.runs):
                start, cpu_start = time.perf_counter(), time.process_time()
                probabilities = np.concatenate([s.run(["p"], {"x": images[i:i + batch]})[0] for i in range(0, len(images), batch)])
                best = min(best, (time.perf_counter() - start, time.process_time() - cpu_start, batch))
        accuracy = float((probabilities.argmax(1) == labels).mean())
        print(f"onnxruntime, {threads} thread(s): {best[0]:.3f} s ({best[1]:.3f} s of CPU time) at batch {best[2]}, "
              f"{len(images) / best[0]:.0f} images/s, {FLOP_PER_IMAGE * len(images) / best[0] / 1e9:.1f} GFLOP/s, accuracy {accuracy:.4f}")
        for path in args.paths.split(","):
            lines, _ = digits_lines(digits, args, ["--threads", str(threads)], dict(os.environ, DIGITS_CPU=path))
            fastest = min(lines, key=seconds_of)
            print(f"digits {path}, {threads} thread(s): {seconds_of(fastest):.3f} s, "
                  f"{FLOP_PER_IMAGE * len(images) / seconds_of(fastest) / 1e9:.1f} GFLOP/s  [{fastest}]")

    print("\n## one picture at a time, 10,000 calls")
    for threads in (1, 2):
        s = session(model, threads)
        times = []
        for i in range(len(images)):
            start = time.perf_counter()
            s.run(["p"], {"x": images[i:i + 1]})
            times.append(time.perf_counter() - start)
        print(f"onnxruntime, {threads} thread(s): median {percentile(times, 0.5) * 1e6:.0f} us, p99 {percentile(times, 0.99) * 1e6:.0f} us")
        lines, _ = digits_lines(digits, args, ["--threads", str(threads), "--batch-size", "1"], runs=1)
        print(f"digits, {threads} thread(s): {lines[0].split('; ')[-1]}")

    print("\n## digits evaluate as a whole process (default path, 2 threads)")
    # --backend cpu, and the default `auto`, which first asks OpenCL's drivers for a GPU (on a
    # machine without one it then runs the same CPU forward pass).
    for backend in ["cpu", "auto"]:
        lines, wall = digits_lines(digits, args, [], backend=backend)
        print(f"--backend {backend}: whole process best {min(wall):.3f} s, median {percentile(wall, 0.5):.3f} s; "
              f"forward pass best {min(map(seconds_of, lines)):.3f} s (ratio {min(wall) / min(map(seconds_of, lines)):.2f})")

    if args.pictures:
        import pipeline
        pipeline.compare(digits, args.model, args.pictures, model, session, args.runs)


if __name__ == "__main__":
    main()
