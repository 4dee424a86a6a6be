#!/usr/bin/env python3
"""Reads a number test set (make-numbers.py) with `digits predict --multi --json` and prints
string accuracy (every digit right, none missing or extra), digit accuracy (1 - edit distance
/ length), each for all, touching and apart numbers and per kind of picture, the share
answered with confidence >= 0.95 and how many of those are exactly right, and the network
calls per number (from the command's forward-pass line).

Usage: python3 Benchmarks/Numbers/read-numbers.py SET_DIR [--digits PATH] [--failures N]
"""
import argparse, json, os, re, subprocess, sys


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def number_confidence(answer):
    """The answer's own confidence, or (for answers without one) the product of its digits'."""
    if "confidence" in answer and "digits" in answer:
        return answer["confidence"] or 0.0
    product = 1.0
    for digit in answer.get("digits") or []:
        product *= digit["confidence"]
    return product if answer.get("digits") else 0.0


def predict(digits, files, chunk=100):
    """`digits predict --multi --json` on `files`, a chunk at a time; a chunk that fails is
    read again a picture at a time, so one picture that crashes the reader costs only itself.
    Returns the JSON lines, the standard error and the pictures it crashed on."""
    lines, stderr, crashed = [], "", []
    environment = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    for start in range(0, len(files), chunk):
        part = files[start:start + chunk]
        run = subprocess.run([digits, "predict", "--multi", "--json"] + part, capture_output=True, text=True, env=environment)
        if run.returncode == 0:
            lines += run.stdout.splitlines()
            stderr += run.stderr
            continue
        for name in part:
            one = subprocess.run([digits, "predict", "--multi", "--json", name], capture_output=True, text=True, env=environment)
            if one.returncode == 0:
                lines += one.stdout.splitlines()
                stderr += one.stderr
            else:
                crashed.append(os.path.basename(name))
                lines.append(json.dumps({"file": name, "number": None, "digits": []}))
    return lines, stderr, crashed


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser()
    parser.add_argument("set")
    parser.add_argument("--digits", default=os.path.join(root, ".build", "release", "digits"))
    parser.add_argument("--failures", type=int, default=0, help="list this many wrong readings")
    parser.add_argument("--sure", type=float, default=0.95)
    args = parser.parse_args()
    manifest = {}
    with open(os.path.join(args.set, "manifest.tsv")) as f:
        next(f)
        for line in f:
            name, number, touching, kind = line.rstrip("\n").split("\t")
            manifest[name] = (number, touching, kind)
    lines, stderr, crashed = predict(args.digits, [os.path.join(args.set, n) for n in sorted(manifest)])
    groups = {}
    sure = sure_right = 0
    failures = []
    for line in lines:
        answer = json.loads(line)
        name = os.path.basename(answer["file"])
        truth, touching, kind = manifest[name]
        read = answer.get("number") or ""
        read_digits = "".join(str(d["digit"]) if d.get("digit") is not None else "?" for d in answer.get("digits") or [])
        exact = read_digits == truth
        digit_accuracy = max(0.0, 1 - edit_distance(read_digits, truth) / len(truth))
        for key in ("all", touching, "kind " + kind.split("+")[0], *("with " + k for k in kind.split("+")[1:])):
            g = groups.setdefault(key, [0, 0, 0.0])
            g[0] += 1
            g[1] += exact
            g[2] += digit_accuracy
        if number_confidence(answer) >= args.sure:
            sure += 1
            sure_right += exact
        if not exact:
            failures.append(f"{name}\t{touching}\t{kind}\tread {read or read_digits or '-'}")
    images = sum(int(m.replace(",", "")) for m in re.findall(r"forward pass: ([\d,]+) images", stderr))
    for key in ["all", "touching", "apart"] + sorted(k for k in groups if k.startswith(("kind", "with"))):
        if key in groups:
            n, right, digits = groups[key]
            print(f"{key:14} {n:5d} numbers  string {100 * right / n:5.1f}%  digits {100 * digits / n:5.1f}%")
    total = groups["all"][0]
    print(f"confidence >= {args.sure}: {100 * sure / total:.1f}% of numbers, "
          f"{100 * sure_right / max(sure, 1):.1f}% of those exactly right ({sure_right}/{sure})")
    if crashed:
        print(f"crashed on {len(crashed)} pictures (counted wrong): {' '.join(sorted(crashed))}")
    if images:
        print(f"network calls: {images / total:.1f} per number ({images} for {total})")
    for line in failures[:args.failures]:
        print(line)


if __name__ == "__main__":
    main()
