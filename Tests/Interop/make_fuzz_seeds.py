#!/usr/bin/env python3
"""Writes the committed seeds of Fuzz/Corpus/FuzzKerasImport: small Keras files of the seed CNN.

A real Keras file of this network is 0.9 MB of weights, too big for a fuzzer to mutate fast,
so the seeds hold zero weights in gzip-compressed (chunked) datasets: a few KB each, with the
layout, names and config Keras writes (copied from Tests/Interop/Fixtures), so every step of
the import is reached, HDF5's deflate filter included. Needs h5py and numpy:
  .build-venv-tf/bin/python Tests/Interop/make_fuzz_seeds.py
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "Interop", "Fixtures")
OUT = os.path.join(ROOT, "Fuzz", "Corpus", "FuzzKerasImport")

# Keras kernel shapes (HWIO conv, [in,out] dense) and bias shapes of the four layers.
SHAPES = [((3, 3, 1, 32), (32,)), ((3, 3, 32, 64), (64,)), ((1600, 128), (128,)), ((128, 10), (10,))]


def zeros(group, name, shape):
    group.create_dataset(name, data=np.zeros(shape, np.float32), compression="gzip", chunks=True)


def keras3_weights(f):
    """model.weights.h5 / .weights.h5 layout: layers/<name>/vars/0 (kernel), /1 (bias), the
    names made from the layer classes (not the config's layer names)."""
    for name, (kernel, bias) in zip(["conv2d", "conv2d_1", "dense", "dense_1"], SHAPES):
        group = f.create_group(f"layers/{name}/vars")
        group.attrs["name"] = name
        zeros(group, "0", kernel)
        zeros(group, "1", bias)


def main():
    os.makedirs(OUT, exist_ok=True)
    with zipfile.ZipFile(os.path.join(FIXTURES, "seed.keras")) as z:
        config_text = z.read("config.json")
    config = json.loads(config_text)
    names = [layer["config"]["name"] for layer in config["config"]["layers"]
             if layer["class_name"] in ("Conv2D", "Dense")]
    with h5py.File(os.path.join(FIXTURES, "seed.h5")) as legacy:
        model_config = legacy.attrs["model_config"]

    with h5py.File(os.path.join(OUT, "zeros.weights.h5"), "w") as f:
        keras3_weights(f)

    with h5py.File(os.path.join(OUT, "zeros.h5"), "w") as f:
        f.attrs["model_config"] = model_config
        f.attrs["keras_version"] = "3.15.1"
        weights = f.create_group("model_weights")
        for name, (kernel, bias) in zip(names, SHAPES):
            group = weights.create_group(f"{name}/sequential/{name}")
            zeros(group, "kernel", kernel)
            zeros(group, "bias", bias)

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        keras3_weights(f)
    with zipfile.ZipFile(os.path.join(OUT, "zeros.keras"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", config_text)
        z.writestr("model.weights.h5", buffer.getvalue())
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    main()
