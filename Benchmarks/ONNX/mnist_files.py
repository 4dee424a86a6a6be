"""The MNIST IDX files (plain or gzipped), for the benchmark scripts; numpy only."""
import gzip, os, struct

import numpy as np


def read_idx(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


def default_folder():
    """Where the benchmarks find MNIST: $DIGITS_DATA, else ../shared/datasets/mnist beside the
    repository (as CI has it)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.environ.get("DIGITS_DATA", os.path.join(root, "..", "shared", "datasets", "mnist"))


def find(folder, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise SystemExit(f"{folder}: missing {stem}")
