#!/usr/bin/env python3
"""Writes the number test set: 2- to 7-digit numbers composed from MNIST *test* digits (and,
with --strokes, from drawings of the project's stroke program), as PGM files, dark on light,
with a manifest (manifest.tsv: file, number, touching, kind of picture).

Half the numbers are meant to touch (gaps of -4 to 0 pixels at MNIST's scale, or a 1-pixel
bridge between two digits), half to stand apart (1 to 12 pixels); "touching" in the manifest
is what the composed ink actually does (some pair of neighbours 8-connected), not the intent.
Every number also gets slant, baseline and size jitter, and some: broken strokes, small
digits (8 to 14 pixels tall, then upscaled) and blur. Training never sees these seeds: the
test set is MNIST's test digits only, and the stroke drawings use their own seed and style.

Usage: python3 Benchmarks/Numbers/make-numbers.py OUT_DIR [--count N] [--seed S]
           [--data DIR] [--split test|train|validation] [--strokes FILE.idx]
           [--style test|training] [--owners]

--style training (with --split train) makes the numbers the built-in piece judge learns from
(`digits number-pieces`): wider ranges than the test style (gaps -6 to 16 px, slant up to
0.4, baseline +-4 px, size +-20%, more broken strokes, digits 7 to 14 px when small, single
digits too). --owners also writes NAME.owners beside each picture: a PGM of the same size
whose pixel is 1 + the index of the digit whose ink it holds most, 0 for paper and bridges.

--split validation composes only the last 6,000 training images (54,000..59,999), the
built-in model's validation split: digits the network never trained on that are not the
test set, for calibrating a number's confidence (`NumberConfidence`: seeds 501-524).

The figures in docs/PERFORMANCE.md are seeds 2001 and 3003 of the test split; the reader's
priors were tuned on seed 77 of the train split (MNIST training digits), never on these.
"""
import argparse, os, random, sys

import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ONNX"))
from mnist_files import default_folder, find, read_idx  # noqa: E402


def crop(image):
    """The digit's ink box (float 0..1)."""
    ys, xs = np.nonzero(image > 20)
    return image[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255


def resize(image, height):
    """`image` scaled to `height` rows (bilinear; area-like when shrinking a lot)."""
    factor = height / image.shape[0]
    if factor < 0.6:
        image = ndimage.gaussian_filter(image, 0.5 / factor)
    return np.clip(ndimage.zoom(image, factor, order=1), 0, 1)


def break_strokes(image, rng):
    """Erases a thin band across the digit: a pen lifted or a scan losing a thin stroke."""
    h, w = image.shape
    out = image.copy()
    width = rng.choice([1, 2])
    if rng.random() < 0.5:
        y = rng.randrange(h // 4, max(h // 4 + 1, 3 * h // 4))
        out[y:y + width, :] = 0
    else:
        x = rng.randrange(w // 4, max(w // 4 + 1, 3 * w // 4))
        out[:, x:x + width] = 0
    return out


def compose(pieces, gaps, shifts, bridges):
    """Digits side by side on one canvas (max of ink), each shifted down by its baseline
    jitter; returns the canvas and, per digit, its own ink mask on that canvas."""
    top = 4 - min(shifts)
    height = max(p.shape[0] + s for p, s in zip(pieces, shifts)) + top + 4
    width = sum(p.shape[1] for p in pieces) + sum(gaps) + 16
    canvas = np.zeros((height, width), np.float32)
    masks = []
    layers = []
    x = 8
    spans = []
    for i, (p, s) in enumerate(zip(pieces, shifts)):
        y = top + s
        layer = np.zeros_like(canvas)
        layer[y:y + p.shape[0], x:x + p.shape[1]] = p
        canvas = np.maximum(canvas, layer)
        layers.append(layer)
        masks.append(layer > 0.5)
        spans.append((x, x + p.shape[1]))
        if i + 1 < len(pieces):
            x += p.shape[1] + gaps[i]
    for i in bridges:
        # A 1-pixel line at mid-height from one digit's ink to the next's.
        row = top + (pieces[i].shape[0] + pieces[i + 1].shape[0]) // 4 + (shifts[i] + shifts[i + 1]) // 2
        left = np.nonzero(masks[i][row])[0]
        right = np.nonzero(masks[i + 1][row])[0]
        if len(left) and len(right) and left.max() < right.min():
            canvas[row, left.max():right.min() + 1] = np.maximum(canvas[row, left.max():right.min() + 1], 0.9)
            masks[i][row, left.max():right.min() + 1] = True
    return canvas, masks, layers


def write_owners(path, layers, shape):
    """A PGM of `shape`: 1 + the index of the layer holding most ink at each pixel, 0 where
    no layer holds any (paper, a bridge between digits)."""
    stack = np.stack([layer[:shape[0], :shape[1]] for layer in layers])
    owners = (np.argmax(stack, axis=0) + 1).astype(np.uint8)
    owners[stack.max(axis=0) < 0.1] = 0
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (shape[1], shape[0]))
        f.write(owners.tobytes())


def touching(masks):
    near = np.ones((3, 3), bool)
    return any((ndimage.binary_dilation(a, near) & b).any() for a, b in zip(masks, masks[1:]))


def shear(image, slant):
    """Slants the whole number (x moves by slant * height above the bottom)."""
    h, w = image.shape
    pad = int(abs(slant) * h) + 2
    out = np.zeros((h, w + 2 * pad), np.float32)
    out[:, pad:pad + w] = image
    # output (y, x) samples input (y, x + slant * (y - h))
    matrix = np.array([[1, 0], [slant, 1]])
    return np.clip(ndimage.affine_transform(out, matrix, offset=(0, -slant * h), order=1), 0, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--data", default=default_folder())
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2001)
    parser.add_argument("--split", choices=["test", "train", "validation"], default="test",
                        help="MNIST's test digits (the test set), training digits (for tuning the reader's priors) "
                        "or the last 6,000 training digits, the model's validation split (for calibration)")
    parser.add_argument("--strokes", help="IDX images (and FILE-labels.idx) of stroke drawings to mix in")
    parser.add_argument("--style", choices=["test", "training"], default="test",
                        help="the test set's ranges, or the wider ones the piece judge trains on")
    parser.add_argument("--owners", action="store_true", help="also write NAME.owners: which digit each pixel's ink is")
    args = parser.parse_args()
    training = args.style == "training"
    if training and args.split != "train":
        raise SystemExit("--style training composes MNIST's training digits: add --split train")
    prefix = "t10k" if args.split == "test" else "train"
    images = read_idx(find(args.data, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find(args.data, f"{prefix}-labels-idx1-ubyte"))
    if args.split == "validation":
        # The built-in model trained on training images 0..53,999 (DigitsCore's validation split).
        images, labels = images[54000:], labels[54000:]
    by_label = [np.nonzero(labels == d)[0] for d in range(10)]
    stroke_images = stroke_by_label = None
    if args.strokes:
        stroke_images = read_idx(args.strokes)
        stroke_labels = read_idx(args.strokes.replace(".idx", "-labels.idx"))
        stroke_by_label = [np.nonzero(stroke_labels == d)[0] for d in range(10)]
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    rows = []
    for n in range(args.count):
        length = rng.randint(1, 7) if training else rng.randint(2, 7)
        number = [rng.randrange(10) for _ in range(length)]
        from_strokes = stroke_images is not None and rng.random() < 0.3
        want_touch = n % 2 == 0
        base = rng.randint(22, 30)  # digit height before any final scaling
        pieces = []
        for d in number:
            if from_strokes:
                source = stroke_images[rng.choice(stroke_by_label[d])]
            else:
                source = images[rng.choice(by_label[d])]
            piece = crop(source)
            jitter = rng.uniform(0.8, 1.2) if training else rng.uniform(0.85, 1.15)
            piece = resize(piece, max(8, int(round(base * jitter))))
            if rng.random() < (0.15 if training else 0.1):
                piece = break_strokes(piece, rng)
            pieces.append(piece)
        bridges = []
        touch_gaps, apart_gaps = ((-6, 0), (1, 16)) if training else ((-4, 0), (1, 12))
        if want_touch:
            gaps = [rng.randint(*touch_gaps) for _ in range(length - 1)]
            if length > 1 and rng.random() < 0.3:
                i = rng.randrange(length - 1)
                gaps[i] = rng.randint(2, 5)
                bridges = [i]
        else:
            gaps = [rng.randint(*apart_gaps) for _ in range(length - 1)]
        shift = 4 if training else 3
        shifts = [rng.randint(-shift, shift) for _ in range(length)]
        canvas, masks, layers = compose(pieces, gaps, shifts, bridges)
        touches = touching(masks)
        most_slant = 0.4 if training else 0.3
        slant = rng.uniform(-most_slant, most_slant) if rng.random() < 0.5 else 0.0
        if slant:
            canvas = shear(canvas, slant)
            if args.owners:
                layers = [shear(layer, slant) for layer in layers]
        kind = "plain"
        rows_before = canvas.shape[0]
        if rng.random() < 0.25:
            # Scanned small: digits 8-14 px tall, upscaled 2-4x.
            small = rng.randint(7 if training else 8, 14)
            shrunk = max(4, int(canvas.shape[0] * small / base))
            canvas = resize(canvas, shrunk)
            grown = canvas.shape[0] * rng.randint(2, 4)
            canvas = resize(canvas, grown)
            if args.owners:
                layers = [resize(resize(layer, shrunk), grown) for layer in layers]
            kind = "small"
        else:
            grown = canvas.shape[0] * rng.randint(1, 3)
            canvas = resize(canvas, grown)
            if args.owners:
                layers = [resize(layer, grown) for layer in layers]
        if kind == "plain" and rng.random() < 0.3:
            # Out of focus: a blur of 2 to 6% of the digit height (small ones are blurred
            # enough by their upscaling).
            digit_height = base * canvas.shape[0] / rows_before
            sigma = max(0.6, digit_height * rng.uniform(0.02, 0.06))
            canvas = ndimage.gaussian_filter(canvas, sigma)
            canvas = canvas / max(canvas.max(), 1e-3)
            kind += "+blur"
        if from_strokes:
            kind += "+strokes"
        text = "".join(map(str, number))
        name = f"{n:04d}-{text}.pgm"
        pixels = (255 - np.clip(canvas, 0, 1) * 255).round().astype(np.uint8)
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(b"P5\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]))
            f.write(pixels.tobytes())
        if args.owners:
            write_owners(os.path.join(args.out, name[:-len(".pgm")] + ".owners"), layers, canvas.shape)
        rows.append(f"{name}\t{text}\t{'touching' if touches else 'apart'}\t{kind}")
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        f.write("file\tnumber\ttouching\tkind\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
