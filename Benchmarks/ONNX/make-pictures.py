#!/usr/bin/env python3
"""Writes the 10,000 MNIST test digits as PNG files the way people's pictures come: dark ink on
light paper, each scaled to its own size (28 to 160 pixels a side, a seeded draw), half of them
grayscale and half RGB, named NNNNN-L.png (L the label).

Usage: python3 Benchmarks/ONNX/make-pictures.py OUT_DIR [--data DIR] [--count N]
"""
import argparse, os, random

import numpy as np
from PIL import Image

from mnist_files import default_folder, find, read_idx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--data", default=default_folder())
    parser.add_argument("--count", type=int, default=10000)
    args = parser.parse_args()
    images = read_idx(find(args.data, "t10k-images-idx3-ubyte"))
    labels = read_idx(find(args.data, "t10k-labels-idx1-ubyte"))
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(20261207)
    for i in range(min(args.count, len(images))):
        side = rng.randint(28, 160)
        paper = Image.fromarray(255 - images[i]).resize((side, side), Image.BICUBIC)
        if i % 2:
            paper = paper.convert("RGB")
        paper.save(os.path.join(args.out, f"{i:05d}-{labels[i]}.png"))


if __name__ == "__main__":
    main()
