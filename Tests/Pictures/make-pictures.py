#!/usr/bin/env python3
"""Writes the picture fixtures in this folder: one portrait photo of a 7 saved the ways phones
and browsers save pictures, each made by the format's reference tools and checked by them.

    python3 Tests/Pictures/make-pictures.py

Needs ImageMagick (`convert`), libwebp's tools (`cwebp`, `webpinfo`; Debian: webp), libheif's
tools and library (`heif-enc`, `heif-convert`, libheif.so.1; Debian: libheif-examples). The
output is a few KB a file and the same on every run.

- seven-upright.png: the picture as it is seen (72x96, gray, dark ink on lit paper).
- seven-orientation-N.jpg, N = 1..8: the pixels stored turned or mirrored the way a camera
  stores them, with EXIF Orientation N saying how to show them upright (big-endian TIFF for
  odd N, little-endian for even N). ImageMagick's -auto-orient must give the upright picture.
- seven.webp (lossy), seven-alpha.webp (lossless, black at each pixel's darkness as opacity:
  the upright picture again once composited on white),
  seven-orientation-6.webp (cwebp of seven-orientation-6.jpg, its EXIF chunk kept).
- seven.heic: heif-enc of the upright picture.
- seven-irot.heic: the stored pixels of seven-orientation-6.jpg with an irot box (written by
  libheif's encoder) to show them upright, and an Exif block that also says 6, as iPhones
  write them: readers apply irot and leave the Exif copy alone. heif-convert must give the
  upright picture.
"""
import ctypes
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WIDTH, HEIGHT = 72, 96
# How to store the upright picture so that EXIF orientation N shows it upright again: the
# inverse of what N asks a viewer to do (2, 4, 5 and 7 are their own inverses).
STORE = {1: [], 2: ["-flop"], 3: ["-rotate", "180"], 4: ["-flip"], 5: ["-transpose"],
         6: ["-rotate", "270"], 7: ["-transverse"], 8: ["-rotate", "90"]}


def run(*command, data=None):
    return subprocess.run(command, input=data, stdout=subprocess.PIPE, check=True).stdout


def gray(path):
    """A picture's size and 8-bit gray pixels as ImageMagick shows it (auto-oriented)."""
    size = run("convert", path, "-auto-orient", "-format", "%w %h", "info:").split()
    pixels = run("convert", path, "-auto-orient", "-colorspace", "Gray", "-depth", "8", "gray:-")
    return int(size[0]), int(size[1]), pixels


def check_upright(name, width, height, pixels, upright, tolerance):
    if (width, height) != (WIDTH, HEIGHT):
        sys.exit(f"{name}: read as {width}x{height}, expected {WIDTH}x{HEIGHT}")
    mean = sum(abs(a - b) for a, b in zip(pixels, upright)) / len(upright)
    if mean > tolerance:
        sys.exit(f"{name}: differs from the upright picture by {mean:.1f} levels on average")


def tiff_orientation(value, big_endian):
    """A TIFF structure whose IFD0 holds one entry, Orientation (0x0112, SHORT, 1 value)."""
    e = ">" if big_endian else "<"
    header = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    entry = struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "H", value) + b"\0\0"
    return header + struct.pack(e + "H", 1) + entry + struct.pack(e + "I", 0)


def with_exif(jpeg, value, big_endian):
    """The JPEG with an APP1 "Exif" segment right after its start-of-image marker."""
    payload = b"Exif\0\0" + tiff_orientation(value, big_endian)
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


class HeifError(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("subcode", ctypes.c_int), ("message", ctypes.c_char_p)]


class EncodingOptions(ctypes.Structure):
    """libheif's heif_encoding_options up to version 5 (libheif 1.14 and newer)."""
    _fields_ = [("version", ctypes.c_uint8), ("save_alpha_channel", ctypes.c_uint8),
                ("macOS_compatibility_workaround", ctypes.c_uint8),
                ("save_two_colr_boxes_when_ICC_and_nclx_available", ctypes.c_uint8),
                ("output_nclx_profile", ctypes.c_void_p),
                ("macOS_compatibility_workaround_no_nclx_profile", ctypes.c_uint8),
                ("image_orientation", ctypes.c_int)]


def heic_with_irot(path, width, height, pixels, orientation, quality=85):
    """Encodes gray `pixels` (stored as they are) to HEIC with irot/imir for `orientation`
    and an Exif block that records the same orientation."""
    lib = ctypes.CDLL("libheif.so.1")
    for name in ["heif_init", "heif_image_create", "heif_image_add_plane", "heif_context_get_encoder_for_format",
                 "heif_encoder_set_lossy_quality", "heif_context_encode_image", "heif_context_add_exif_metadata",
                 "heif_context_write_to_file"]:
        getattr(lib, name).restype = HeifError
    lib.heif_context_alloc.restype = ctypes.c_void_p
    lib.heif_image_get_plane.restype = ctypes.POINTER(ctypes.c_uint8)
    lib.heif_encoding_options_alloc.restype = ctypes.POINTER(EncodingOptions)

    def check(error, what):
        if error.code != 0:
            sys.exit(f"libheif: {what}: {error.message.decode()}")

    check(lib.heif_init(None), "init")
    context = ctypes.c_void_p(lib.heif_context_alloc())
    image = ctypes.c_void_p()
    check(lib.heif_image_create(width, height, 1, 10, ctypes.byref(image)), "image")  # RGB, interleaved
    check(lib.heif_image_add_plane(image, 10, width, height, 8), "plane")
    stride = ctypes.c_int()
    plane = lib.heif_image_get_plane(image, 10, ctypes.byref(stride))
    for y in range(height):
        for x in range(width):
            for c in range(3):
                plane[y * stride.value + 3 * x + c] = pixels[y * width + x]
    encoder = ctypes.c_void_p()
    check(lib.heif_context_get_encoder_for_format(context, 1, ctypes.byref(encoder)), "encoder")  # HEVC
    check(lib.heif_encoder_set_lossy_quality(encoder, quality), "quality")
    options = lib.heif_encoding_options_alloc()
    if options.contents.version < 5:
        sys.exit("libheif older than 1.14: its encoder cannot write irot/imir")
    options.contents.image_orientation = orientation
    handle = ctypes.c_void_p()
    check(lib.heif_context_encode_image(context, image, encoder, options, ctypes.byref(handle)), "encode")
    exif = b"Exif\0\0" + tiff_orientation(orientation, True)
    check(lib.heif_context_add_exif_metadata(context, handle, exif, len(exif)), "exif")
    check(lib.heif_context_write_to_file(context, path.encode()), "write")


def main():
    os.chdir(HERE)
    example = os.path.join(ROOT, "docs", "examples", "seven.png")
    # Lit paper: a vertical gradient multiplied in, so a picture turned the wrong way differs
    # everywhere, not only where the ink is.
    run("convert", example, "-resize", f"{WIDTH}x{WIDTH}", "-background", "white", "-gravity", "center",
        "-extent", f"{WIDTH}x{HEIGHT}", "(", "-size", f"{WIDTH}x{HEIGHT}", "gradient:gray(96%)-gray(78%)", ")",
        "-compose", "multiply", "-composite", "-colorspace", "Gray", "-depth", "8", "-strip",
        "-define", "png:exclude-chunks=date,time", "seven-upright.png")
    _, _, upright = gray("seven-upright.png")

    for value, store in STORE.items():
        jpeg = run("convert", "seven-upright.png", *store, "-strip", "-quality", "90", "jpg:-")
        name = f"seven-orientation-{value}.jpg"
        with open(name, "wb") as f:
            f.write(with_exif(jpeg, value, big_endian=value % 2 == 1))
        check_upright(name, *gray(name), upright, tolerance=3)

    run("cwebp", "-quiet", "-q", "90", "seven-upright.png", "-o", "seven.webp")
    with tempfile.TemporaryDirectory() as scratch:
        alpha = os.path.join(scratch, "alpha.png")
        # Black whose opacity is each pixel's darkness: on white it is the upright picture again.
        run("convert", "seven-upright.png", "-negate", "-alpha", "copy", "-fill", "black", "-colorize", "100",
            "-strip", alpha)
        run("cwebp", "-quiet", "-lossless", "-exact", alpha, "-o", "seven-alpha.webp")
    run("cwebp", "-quiet", "-q", "90", "-metadata", "exif", "seven-orientation-6.jpg", "-o", "seven-orientation-6.webp")
    if b"EXIF: 1" not in run("webpinfo", "seven-orientation-6.webp"):
        sys.exit("seven-orientation-6.webp: cwebp did not keep the EXIF chunk")
    check_upright("seven.webp", *gray("seven.webp"), upright, tolerance=3)
    on_white = run("convert", "seven-alpha.webp", "-background", "white", "-flatten", "-colorspace", "Gray",
                   "-depth", "8", "gray:-")
    check_upright("seven-alpha.webp", WIDTH, HEIGHT, on_white, upright, tolerance=1)

    run("heif-enc", "-q", "85", "seven-upright.png", "-o", "seven.heic")
    stored = run("convert", "seven-upright.png", *STORE[6], "-depth", "8", "gray:-")
    heic_with_irot("seven-irot.heic", HEIGHT, WIDTH, stored, 6)
    with tempfile.TemporaryDirectory() as scratch:
        for name in ["seven.heic", "seven-irot.heic"]:
            shown = os.path.join(scratch, name + ".png")
            run("heif-convert", name, shown)
            check_upright(name, *gray(shown), upright, tolerance=3)
    for name in sorted(os.listdir(".")):
        print(f"{name:28} {os.path.getsize(name):6} bytes")


if __name__ == "__main__":
    main()
