"""Pictures to answers: `digits predict DIR` against the Python pipeline a user would write
(Pillow decode, the classic MNIST layout in numpy, ONNX Runtime), on the same folder.

The layout is the usual recipe: gray, ink = dark on light turned to light on dark, cropped
to the ink, scaled (aspect kept) into a 20x20 box, placed in a 28x28 field with its centre of
mass at the centre.
"""
import os, subprocess, time

import numpy as np
from PIL import Image


def python_pipeline(folder, session, batch=64):
    names = sorted(f for f in os.listdir(folder) if f.endswith(".png"))
    decode = layout_time = network = 0.0
    right = 0
    for start in range(0, len(names), batch):
        chunk = names[start:start + batch]
        t0 = time.perf_counter()
        pictures = [Image.open(os.path.join(folder, n)) for n in chunk]
        for p in pictures:
            p.load()
        t1 = time.perf_counter()
        fields = np.stack([layout_picture(p) for p in pictures])[:, None]
        t2 = time.perf_counter()
        answers = session.run(["p"], {"x": fields})[0].argmax(1)
        t3 = time.perf_counter()
        decode, layout_time, network = decode + t1 - t0, layout_time + t2 - t1, network + t3 - t2
        right += sum(int(a) == int(n.split("-")[1][0]) for a, n in zip(answers, chunk))
    return len(names), decode, layout_time, network, right


def layout_picture(picture):
    gray = np.asarray(picture.convert("L"), dtype=np.float32) / 255.0
    ink = 1.0 - gray if gray.mean() > 0.5 else gray
    rows, cols = np.nonzero(ink > 0.2)
    if rows.size == 0:
        return np.zeros((28, 28), np.float32)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.BOX), dtype=np.float32) / 255.0
    field = np.zeros((28, 28), np.float32)
    total = small.sum()
    cy = (small.sum(1) * np.arange(small.shape[0])).sum() / total if total else small.shape[0] / 2
    cx = (small.sum(0) * np.arange(small.shape[1])).sum() / total if total else small.shape[1] / 2
    top = int(np.clip(round(14 - cy), 0, 28 - small.shape[0]))
    left = int(np.clip(round(14 - cx), 0, 28 - small.shape[1]))
    field[top:top + small.shape[0], left:left + small.shape[1]] = small
    return field


def compare(digits, model_path, folder, model, session, runs):
    print(f"\n## pictures to answers: {folder}")
    for threads in (1, 2):
        s = session(model, threads)
        best = None
        for _ in range(runs):
            start = time.perf_counter()
            count, decode, lay, network, right = python_pipeline(folder, s)
            total = time.perf_counter() - start
            if best is None or total < best[0]:
                best = (total, count, decode, lay, network, right)
        total, count, decode, lay, network, right = best
        print(f"python (Pillow + numpy + onnxruntime), {threads} thread(s) for ONNX Runtime: {count / total:.0f} pictures/s "
              f"({total:.2f} s; decode {decode:.2f} s, layout {lay:.2f} s, network {network:.2f} s; {right / count:.2%} right)")
    for threads in (1, 2):
        best = None
        for _ in range(runs):
            start = time.perf_counter()
            out = subprocess.run([digits, "predict", folder, "--model", model_path, "--backend", "cpu", "--threads", str(threads)],
                                 capture_output=True, text=True)
            total = time.perf_counter() - start
            if out.returncode != 0:
                raise SystemExit(f"digits predict failed: {out.stderr.strip()[:300]}")
            if best is None or total < best[0]:
                best = (total, out)
        total, out = best
        # "DIR/00042-7.png: 7 (99.9%) ..." or "DIR/00042-7.png: Not sure: 1 or 7? ..."
        right = unsure = count = 0
        for line in out.stdout.splitlines():
            name, _, answer = line.partition(": ")
            if not name.endswith(".png"):
                continue
            count += 1
            unsure += answer.startswith("Not sure")
            right += answer.split(" ")[0] == name.rsplit("-", 1)[1][0]
        forward = [l for l in out.stderr.splitlines() if l.startswith("forward pass")]
        print(f"digits predict, {threads} thread(s): {count / total:.0f} pictures/s ({total:.2f} s whole process; "
              f"{right / max(1, count):.2%} right, {unsure / max(1, count):.2%} not sure) {forward[-1] if forward else ''}")
