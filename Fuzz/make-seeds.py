#!/usr/bin/env python3
"""Writes the committed seed corpora under Fuzz/Corpus/<Target>/ (a few KB to ~100 KB each).

Run from anywhere: `python3 Fuzz/make-seeds.py`. Needs only Python 3 and libstb (for the
JPEG and TGA seeds, through ctypes; Debian: libstb-dev). The WebP and HEIC seeds are the
committed pictures of Tests/Pictures (Tests/Pictures/make-pictures.py makes them). The pixels are real MNIST digits
from ../shared/datasets/mnist when that copy exists, else a drawn stroke, so the output is
the same on every machine that has the data. The model seeds copy the metadata of the
built-in model (Sources/_DefaultModelData/default.safetensors) with tiny tensors.
"""
import ctypes, gzip, json, os, shutil, struct, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")
MNIST = os.path.join(ROOT, "..", "shared", "datasets", "mnist", "t10k-images-idx3-ubyte.gz")


def digits(count):
    """`count` 28x28 digits as lists of 784 bytes (ink high, MNIST style)."""
    if os.path.exists(MNIST):
        with gzip.open(MNIST, "rb") as f:
            data = f.read(16 + 784 * count)[16:]
        return [list(data[i * 784:(i + 1) * 784]) for i in range(count)]
    stroke = [255 if 12 <= x <= 15 and 4 <= y <= 23 else 0 for y in range(28) for x in range(28)]
    return [stroke] * count


def idx(dims, payload):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload)


def gz(data):
    return gzip.compress(data, mtime=0)


def png(width, height, colour, rows, depth=8, interlace=0, palette=None):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(bytes([filt]) + bytes(row) for filt, row in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))
    if palette:
        out += chunk(b"PLTE", bytes(palette))
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bmp24(width, height, gray):
    stride = (width * 3 + 3) & ~3
    pixels = b""
    for y in reversed(range(height)):
        row = b"".join(bytes([v, v, v]) for v in gray[y * width:(y + 1) * width])
        pixels += row + b"\0" * (stride - len(row))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def gif(width, height, gray):
    """A 2-colour GIF; LZW codes stay 3 bits wide by sending a clear code every 2 pixels."""
    bits, clear, end = 2, 4, 5
    codes = [clear]
    for i, v in enumerate(gray):
        codes.append(1 if v > 127 else 0)
        if i % 2 == 1:
            codes.append(clear)
    codes.append(end)
    acc = n = 0
    data = bytearray()
    for c in codes:
        acc |= c << n
        n += 3
        while n >= 8:
            data.append(acc & 0xFF)
            acc >>= 8
            n -= 8
    if n:
        data.append(acc)
    blocks = b"".join(bytes([len(data[i:i + 255])]) + bytes(data[i:i + 255]) for i in range(0, len(data), 255))
    screen = struct.pack("<6sHHBBB", b"GIF89a", width, height, 0x80, 0, 0) + bytes([0, 0, 0, 255, 255, 255])
    image = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + bytes([bits]) + blocks + b"\0"
    return screen + image + b";"


def stb_write(kind, width, height, channels, pixels):
    """JPEG or TGA bytes from libstb's stb_image_write."""
    lib = ctypes.CDLL("libstb.so.0")
    callback_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
    out = bytearray()
    callback = callback_type(lambda _, data, size: out.extend(ctypes.string_at(data, size)))
    buffer = (ctypes.c_ubyte * len(pixels))(*pixels)
    if kind == "jpg":
        lib.stbi_write_jpg_to_func(callback, None, width, height, channels, buffer, 90)
    else:
        lib.stbi_write_tga_to_func(callback, None, width, height, channels, buffer)
    return bytes(out)


def safetensors(tensors, metadata):
    """The project's layout: sorted-key JSON header padded to 8 bytes, F32 little-endian data."""
    header, body = {}, b""
    for name, shape, values in tensors:
        data = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(body), len(body) + len(data)]}
        body += data
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + body


def exif(orientation, big_endian):
    """An EXIF block ("Exif\0\0", then TIFF) whose IFD0 holds Orientation and one more entry."""
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 2)
    tiff += struct.pack(e + "HHIHH", 0x010F, 2, 4, 0, 0)[:8] + b"cam\0"  # Make, ASCII, in the entry
    tiff += struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(e + "I", 0)
    return b"Exif\0\0" + tiff


def jpeg_with_exif(jpeg, block):
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block + jpeg[2:]


def png_with_exif(png_bytes, block):
    body = block[6:]  # eXIf holds the TIFF structure alone
    chunk = struct.pack(">I", len(body)) + b"eXIf" + body + struct.pack(">I", zlib.crc32(b"eXIf" + body))
    return png_bytes[:33] + chunk + png_bytes[33:]


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def images():
    """Small files of every format ImageDecoder reads, with a real digit in them."""
    d = digits(1)[0]
    paper = [255 - v for v in d]
    rows = [(0, paper[y * 28:(y + 1) * 28]) for y in range(28)]
    rgb = [c for v in paper for c in (v, v, v)]
    rgba = [c for v in paper for c in (0, 0, 0, 255 - v)]
    files = {
        "gray.png": png(28, 28, 0, rows),
        "gray-filters.png": png(28, 28, 0, [(y % 5, r) for y, (_, r) in enumerate(rows)]),
        "rgb.png": png(28, 28, 2, [(1, rgb[y * 84:(y + 1) * 84]) for y in range(28)]),
        "rgba.png": png(28, 28, 6, [(4, rgba[y * 112:(y + 1) * 112]) for y in range(28)]),
        "gray-alpha.png": png(28, 28, 4, [(2, [c for v in d[y * 28:(y + 1) * 28] for c in (0, v)]) for y in range(28)]),
        "gray16.png": png(28, 28, 0, [(0, [c for v in r for c in (v, v)]) for _, r in rows], depth=16),
        "palette.png": png(28, 28, 3, [(0, [v >> 6 for v in r]) for _, r in rows], palette=[0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]),
        "interlaced.png": png(1, 1, 0, [(0, [128])], interlace=1),  # Adam7 of 1x1: one pass, one row
        "digit.bmp": bmp24(28, 28, paper),
        "digit.pgm": b"P5\n28 28\n255\n" + bytes(paper),
        "digit.ppm": b"P6\n# a comment\n28 28\n255\n" + bytes(rgb),
        "digit.gif": gif(28, 28, paper),
        "digit.jpg": stb_write("jpg", 28, 28, 1, paper),
        "digit-rgb.jpg": stb_write("jpg", 28, 28, 3, rgb),
        "digit.tga": stb_write("tga", 28, 28, 1, paper),
    }
    wide = [paper[y * 28 + x] for y in range(14) for x in range(28)]  # 28x14: turning it shows
    files["exif6-be.jpg"] = jpeg_with_exif(stb_write("jpg", 28, 14, 1, wide), exif(6, True))
    files["exif5-le.jpg"] = jpeg_with_exif(stb_write("jpg", 28, 14, 1, wide), exif(5, False))
    files["exif8.png"] = png_with_exif(files["gray.png"], exif(8, False))
    return files


def pictures(names):
    """Files from Tests/Pictures, by name."""
    out = {}
    for name in names:
        with open(os.path.join(ROOT, "Tests", "Pictures", name), "rb") as f:
            out[name] = f.read()
    return out


# The targets whose seeds this script writes; it replaces their folders only.
# Fuzz/Corpus/FuzzKerasImport is Tests/Interop/make_fuzz_seeds.py's (it needs h5py).
TARGETS = ["FuzzIDX", "FuzzModelFile", "FuzzImageDecoder", "FuzzWebP", "FuzzHEIF", "FuzzRawInput", "FuzzServer",
           "FuzzLearningJSON", "FuzzLearningAccess", "FuzzCorrectionStore"]


def main():
    for target in TARGETS:
        folder = os.path.join(CORPUS, target)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
    d = digits(3)

    # FuzzIDX: raw and gzip IDX files of rank 1 to 4.
    write("FuzzIDX", "labels.idx", idx([10], range(10)))
    write("FuzzIDX", "images.idx", idx([3, 28, 28], sum(d, [])))
    write("FuzzIDX", "images.idx.gz", gz(idx([3, 28, 28], sum(d, []))))
    write("FuzzIDX", "labels.idx.gz", gz(idx([10], range(10))))
    write("FuzzIDX", "rank4.idx", idx([1, 2, 3, 4], range(24)))
    write("FuzzIDX", "empty.idx.gz", gz(idx([0, 28, 28], [])))

    # FuzzModelFile: the built-in model's metadata with tiny tensors under the real names.
    with open(os.path.join(ROOT, "Sources", "_DefaultModelData", "default.safetensors"), "rb") as f:
        raw = f.read()
    header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
    meta = header["__metadata__"]
    names = sorted((v["data_offsets"][0], k) for k, v in header.items() if k != "__metadata__")
    tiny = [(name, [2], [0.5, -0.25]) for _, name in names]
    write("FuzzModelFile", "model-tiny.safetensors", safetensors(tiny, meta))
    checkpoint = dict(meta, adam_step="12")
    adam = [("adam.%s.%s" % (mv, name), [1], [0.125]) for mv in "mv" for _, name in names]
    write("FuzzModelFile", "checkpoint-tiny.safetensors", safetensors(tiny + adam, checkpoint))
    write("FuzzModelFile", "metadata-only.safetensors", safetensors([], {"format": "digits-model", "format_version": "1"}))
    write("FuzzModelFile", "fashion.safetensors", safetensors(tiny[:2], dict(meta, dataset="fashion-mnist")))

    # FuzzImageDecoder: every format, plus the page's PNGs in docs/examples.
    files = images()
    for name, data in files.items():
        write("FuzzImageDecoder", name, data)
    for name in ("four.png", "seven.png"):
        with open(os.path.join(ROOT, "docs", "examples", name), "rb") as f:
            write("FuzzImageDecoder", name, f.read())

    # FuzzWebP and FuzzHEIF: the reference encoders' pictures (lossy, lossless with alpha, EXIF;
    # HEVC, with irot and Exif).
    webp = pictures(["seven.webp", "seven-alpha.webp", "seven-orientation-6.webp"])
    heic = pictures(["seven.heic", "seven-irot.heic"])
    for name, data in webp.items():
        write("FuzzWebP", name, data)
    for name, data in heic.items():
        write("FuzzHEIF", name, data)

    # FuzzRawInput: text arrays (0-255, 0-1, JSON), raw bytes, and an image.
    write("FuzzRawInput", "digit.txt", " ".join(map(str, d[0])).encode() + b"\n")
    write("FuzzRawInput", "digit-unit.txt", ",".join("%.3g" % (v / 255) for v in d[0]).encode())
    write("FuzzRawInput", "two.json", json.dumps([d[0], d[1]]).encode())
    write("FuzzRawInput", "two.raw", bytes(d[0] + d[1]))
    write("FuzzRawInput", "digit.png", files["gray.png"])
    write("FuzzRawInput", "digit.pgm", files["digit.pgm"])

    # FuzzServer: "query \n content-type \n body".
    with open(os.path.join(ROOT, "docs", "examples", "number-2024.png"), "rb") as f:
        number = f.read()
    write("FuzzServer", "png", b"\nimage/png\n" + files["gray.png"])
    write("FuzzServer", "multi-png", b"multi=1\nimage/png; charset=binary\n" + files["rgba.png"])
    write("FuzzServer", "jpeg", b"multi=0\nimage/jpeg\n" + files["digit.jpg"])
    write("FuzzServer", "bmp", b"multi=false\nimage/bmp\n" + files["digit.bmp"])
    write("FuzzServer", "webp", b"\nimage/webp\n" + webp["seven.webp"])
    write("FuzzServer", "heic", b"\nimage/heic\n" + heic["seven.heic"])
    write("FuzzServer", "exif-jpeg", b"\nimage/jpeg\n" + files["exif6-be.jpg"])
    write("FuzzServer", "number", b"multi=yes\nimage/png\n" + number)
    write("FuzzServer", "form", b"multi=2&x=1\napplication/x-www-form-urlencoded\nabc")

    # FuzzLearningJSON: "content-type \n body" of POST /api/corrections.
    ink = [round(v / 255, 3) for v in d[0]]
    correction = json.dumps({"input28": ink, "label": 7}, separators=(",", ":")).encode()
    write("FuzzLearningJSON", "correction", b"application/json\n" + correction)
    write("FuzzLearningJSON", "charset", b"application/json; charset=utf-8\n" + correction.replace(b",", b", "))
    write("FuzzLearningJSON", "short", b"application/json\n" + json.dumps({"input28": ink[:3], "label": 1}).encode())
    write("FuzzLearningJSON", "label-out-of-range", b"application/json\n" + correction.replace(b'"label":7', b'"label":12'))
    write("FuzzLearningJSON", "text-plain", b"text/plain\n{}")

    # FuzzLearningAccess: "host \n origin \n authorization \n bound address".
    token = b"Bearer 0123456789abcdef0123456789abcdef"
    write("FuzzLearningAccess", "loopback", b"127.0.0.1:8080\nhttp://127.0.0.1:8080\n" + token + b"\n127.0.0.1")
    write("FuzzLearningAccess", "localhost-no-origin", b"localhost:8080\n\n\n127.0.0.1")
    write("FuzzLearningAccess", "rebinding", b"evil.example:8080\nhttp://evil.example:8080\n\n127.0.0.1")
    write("FuzzLearningAccess", "foreign-origin", b"localhost:8080\nhttps://evil.example\n" + token + b"\n0.0.0.0")
    write("FuzzLearningAccess", "ipv6", b"[::1]:8080\nhttp://[::1]:8080\nBearer x\n::1")
    write("FuzzLearningAccess", "lan", b"192.168.1.20:8080\nhttp://192.168.1.20:8080\n" + token + b"\n192.168.1.20")

    # FuzzCorrectionStore: "labels.csv \0 picture" (the picture is saved as c000001.png).
    picture = png(28, 28, 0, [(0, d[0][y * 28:(y + 1) * 28]) for y in range(28)])
    header = b"file,label,time\n"
    write("FuzzCorrectionStore", "one", header + b"c000001.png,7,2026-12-01T10:00:00Z\n\0" + picture)
    write("FuzzCorrectionStore", "two-lines", header + b"c000001.png,7,t\nc000001.png,3,t\n\0" + picture)
    write("FuzzCorrectionStore", "header-only", header + b"\0")
    write("FuzzCorrectionStore", "missing-picture", header + b"c000009.png,1,t\n\0")
    write("FuzzCorrectionStore", "wrong-size", header + b"c000001.png,2,t\n\0" + files["gray16.png"][:60])


if __name__ == "__main__":
    main()
