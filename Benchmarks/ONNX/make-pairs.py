#!/usr/bin/env python3
"""Writes pairs of MNIST test digits side by side as PNG files, dark on light: gaps of -4
(overlapping) to 6 pixels, enlarged 1 to 4 times, named NNNN-LL.png (LL the two labels). For
checking how `digits predict` tells one wide digit from several (`make-pictures.py` gives
the single digits).

Usage: python3 Benchmarks/ONNX/make-pairs.py OUT_DIR [--data DIR] [--count N] [--seed S]
"""
import argparse, os, random

import numpy as np
from PIL import Image

from mnist_files import default_folder, find, read_idx


def ink_columns(image):
    columns = np.nonzero(image.max(0) > 30)[0]
    return image[:, columns.min():columns.max() + 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--data", default=default_folder())
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    images = read_idx(find(args.data, "t10k-images-idx3-ubyte"))
    labels = read_idx(find(args.data, "t10k-labels-idx1-ubyte"))
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    for n in range(args.count):
        a, b = rng.randrange(len(images)), rng.randrange(len(images))
        gap = rng.randint(-4, 6)
        left, right = ink_columns(images[a]), ink_columns(images[b])
        width = left.shape[1] + right.shape[1] + gap + 16
        canvas = np.zeros((28, width), np.uint8)
        canvas[:, 8:8 + left.shape[1]] = left
        x = 8 + left.shape[1] + gap
        canvas[:, x:x + right.shape[1]] = np.maximum(canvas[:, x:x + right.shape[1]], right)
        scale = rng.randint(1, 4)
        picture = Image.fromarray(255 - canvas).resize((width * scale, 28 * scale), Image.BICUBIC)
        picture.save(os.path.join(args.out, f"{n:04d}-{labels[a]}{labels[b]}.png"))


if __name__ == "__main__":
    main()
