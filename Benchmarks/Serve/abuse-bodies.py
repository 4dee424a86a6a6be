#!/usr/bin/env python3
"""Writes the abusive bodies the load benchmark sends into the folder given:
blank-40mp.png (52 KB of PNG that decodes to 40 megapixels of white paper),
not-an-image.png (text) and oversized.png (6 MB, over serve's 5 MB limit)."""
import struct, sys, zlib, os

def png_gray(width, height, value):
    row = b"\x00" + bytes([value]) * width
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))

folder = sys.argv[1]
open(os.path.join(folder, "blank-40mp.png"), "wb").write(png_gray(8000, 5000, 255))
open(os.path.join(folder, "not-an-image.png"), "wb").write(b"hello, this is text, not a PNG\n" * 4)
open(os.path.join(folder, "oversized.png"), "wb").write(b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 << 20))
