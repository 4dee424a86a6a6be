#!/usr/bin/env python3
"""Writes strings of 2 to 6 letters drawn by the project's stroke program (a folder from
`digits draw-letters`), composed like make-numbers.py's numbers (gaps of -2 to 10 px,
baseline and size jitter, enlarged 1-3x), as PGM files with a manifest: for checking that
`digits predict --multi` says a picture holds no number rather than inventing digits.

Usage: python3 Benchmarks/Numbers/make-letters.py LETTERS_DIR OUT_DIR [--count N] [--seed S]
(needs Pillow to read the PNG drawings)
"""
import argparse, os, random, sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
make_numbers = __import__("make-numbers")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("letters")
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=4004)
    args = parser.parse_args()
    classes = sorted(d for d in os.listdir(args.letters) if os.path.isdir(os.path.join(args.letters, d)))
    files = {c: sorted(os.listdir(os.path.join(args.letters, c))) for c in classes}
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for n in range(args.count):
        text = [rng.choice(classes) for _ in range(rng.randint(2, 6))]
        base = rng.randint(22, 30)
        pieces = []
        for c in text:
            image = np.asarray(Image.open(os.path.join(args.letters, c, rng.choice(files[c]))).convert("L"))
            ink = 255 - image.astype(np.int32)
            pieces.append(make_numbers.resize(make_numbers.crop(ink.clip(0, 255)), max(8, int(base * rng.uniform(0.85, 1.15)))))
        gaps = [rng.randint(-2, 10) for _ in range(len(text) - 1)]
        shifts = [rng.randint(-3, 3) for _ in text]
        canvas, _, _ = make_numbers.compose(pieces, gaps, shifts, [])
        canvas = make_numbers.resize(canvas, canvas.shape[0] * rng.randint(1, 3))
        name = f"{n:04d}-{''.join(text)}.pgm"
        pixels = (255 - np.clip(canvas, 0, 1) * 255).round().astype(np.uint8)
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(b"P5\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]))
            f.write(pixels.tobytes())
        rows.append(f"{name}\t{''.join(text)}")
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        f.write("file\tletters\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
