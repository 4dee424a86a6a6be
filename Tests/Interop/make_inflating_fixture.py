#!/usr/bin/env python3
"""Makes Tests/Interop/Fixtures/inflating.weights.h5 ONCE (committed; CI never runs this).

A Keras 3 weights file of the seed CNN's four layers, every kernel and bias of the shape the
importer expects, whose first kernel (layers/conv2d/vars/0, 3x3x1x32 floats, 1,152 bytes) is
one chunk stored through two deflate filters: the few KB on disk inflate to 4 MB, which
inflate again to 3 GiB of zeros. libhdf5 grows its buffer until the chunk is inflated, so
reading that kernel takes gigabytes unless something bounds it (`digits import` reads in a
child under RLIMIT_AS). The other datasets are never written: they read as zeros.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install h5py
    /tmp/venv/bin/python Tests/Interop/make_inflating_fixture.py
"""
import os
import zlib

import h5py
import numpy as np

INFLATED = 3 << 30
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures", "inflating.weights.h5")


def deflate_zeros(size):
    """`size` zero bytes through zlib (HDF5's deflate filter stores zlib streams), 64 MB at a time."""
    compressor = zlib.compressobj(9)
    block = bytes(64 << 20)
    parts = []
    left = size
    while left > 0:
        parts.append(compressor.compress(block[: min(left, len(block))]))
        left -= min(left, len(block))
    parts.append(compressor.flush())
    return b"".join(parts)


def main():
    inner = deflate_zeros(INFLATED)
    outer = zlib.compress(inner, 9)
    shapes = {
        "conv2d": ((3, 3, 1, 32), (32,)),
        "conv2d_1": ((3, 3, 32, 64), (64,)),
        "dense": ((1600, 128), (128,)),
        "dense_1": ((128, 10), (10,)),
    }
    with h5py.File(OUT, "w") as f:
        for layer, (kernel, bias) in shapes.items():
            group = f.create_group(f"layers/{layer}/vars")
            if layer == "conv2d":
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_chunk(kernel)
                # Applied in order when written, undone in reverse when read: the chunk's
                # bytes are deflate(deflate(data)).
                dcpl.set_deflate(9)
                dcpl.set_deflate(9)
                space = h5py.h5s.create_simple(kernel)
                dataset = h5py.h5d.create(group.id, b"0", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
                dataset.write_direct_chunk((0, 0, 0, 0), outer)
            else:
                group.create_dataset("0", shape=kernel, dtype=np.float32)
            group.create_dataset("1", shape=bias, dtype=np.float32)
    print(f"{OUT}: {os.path.getsize(OUT)} bytes; the kernel's chunk: {len(outer)} bytes -> {len(inner)} -> {INFLATED}")


if __name__ == "__main__":
    main()
