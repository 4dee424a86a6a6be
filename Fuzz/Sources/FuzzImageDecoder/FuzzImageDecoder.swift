import DigitsCore
import DigitsVision
import Foundation
import FuzzDriver

/// Image bytes through `ImageDecoder.decode`: the size and truncation checks, FastPNG for
/// common PNGs, stb_image for the rest, the EXIF orientation of JPEG, PNG and WebP. The pixel
/// limit is lowered to 4 megapixels so one input costs milliseconds, not seconds; the checks
/// it exercises are the same. The input is also tried as the EXIF block (an `eXIf` chunk) of
/// a small PNG, so the TIFF parser sees every mutation, not only the few that keep a whole
/// picture valid around it.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let data = start.map { Data(bytes: $0, count: count) } ?? Data()
  _ = try? ImageDecoder.decode(data, name: "fuzz", maxPixels: 1 << 22)
  // An 8x4 gray PNG: its signature and IHDR, then eXIf (length, type, the input, a CRC nobody
  // checks), then the rest. Made per input: kept in a global, its Data storage was reported
  // as leaked by LeakSanitizer at exit.
  let png = PNG.grayscale((0..<32).map { UInt8($0 * 8) }, width: 8, height: 4)
  var exif = png.prefix(33)
  exif += Data([UInt8(count >> 24 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)])
  exif += Data("eXIf".utf8) + data + Data(count: 4) + png.dropFirst(33)
  _ = try? ImageDecoder.decode(exif, name: "fuzz-exif", maxPixels: 1 << 22)
  return 0
}

/// The program's entry (SwiftPM names it `FuzzImageDecoder_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzImageDecoder_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
