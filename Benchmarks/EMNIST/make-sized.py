#!/usr/bin/env python3
"""Writes a stand-in for an EMNIST split, in EMNIST's own file layout, with that split's
sizes: MNIST's training images repeated (transposed, as EMNIST stores them) with labels drawn
for the split's classes. For timing only (what an epoch of a set that size and class count
costs, on a machine that cannot reach NIST's archive); the pictures mean nothing.

    python3 Benchmarks/EMNIST/make-sized.py OUT_DIR [--split balanced] [--data MNIST_DIR]

then, in one run on the same machine:

    digits train --epochs 1 --validation none --backend cpu --out /tmp/m.safetensors
    digits train --dataset emnist-balanced --data OUT_DIR --epochs 1 --validation none --backend cpu --out /tmp/e.safetensors
"""
import argparse, gzip, os, random, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ONNX"))
from mnist_files import default_folder, find, read_idx  # noqa: E402

# Published sizes of the EMNIST splits (Cohen et al. 2017, table II): train, test, classes.
SIZES = {
    "balanced": (112_800, 18_800, 47), "bymerge": (697_932, 116_323, 47), "byclass": (697_932, 116_323, 62),
    "letters": (124_800, 20_800, 26), "digits": (240_000, 40_000, 10), "mnist": (60_000, 10_000, 10),
}


def write_idx(path, array):
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(struct.pack(">HBB", 0, 8, array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.tobytes())


def main():
    import numpy as np
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--split", default="balanced", choices=sorted(SIZES))
    parser.add_argument("--data", default=default_folder())
    args = parser.parse_args()
    train_count, test_count, classes = SIZES[args.split]
    mnist = read_idx(find(args.data, "train-images-idx3-ubyte"))
    rng = random.Random(20261207)
    first = 1 if args.split == "letters" else 0
    os.makedirs(args.out, exist_ok=True)
    name = f"emnist-{args.split}"
    for part, count in (("train", train_count), ("test", test_count)):
        picks = np.array([rng.randrange(len(mnist)) for _ in range(count)])
        images = np.ascontiguousarray(mnist[picks].transpose(0, 2, 1))
        labels = np.array([rng.randrange(classes) + first for _ in range(count)], dtype=np.uint8)
        write_idx(os.path.join(args.out, f"{name}-{part}-images-idx3-ubyte.gz"), images)
        write_idx(os.path.join(args.out, f"{name}-{part}-labels-idx1-ubyte.gz"), labels)
    with open(os.path.join(args.out, f"{name}-mapping.txt"), "w") as f:
        for label in range(first, first + classes):
            f.write(f"{label} {48 + label - first}\n")
    print(f"{args.out}: {name} stand-in, {train_count} + {test_count} images, {classes} classes")


if __name__ == "__main__":
    main()
