import DigitsCore
import DigitsVision
import Foundation
import FuzzDriver

/// Image bytes through `ImageDecoder.decode`: the size and truncation checks, FastPNG for
/// common PNGs, stb_image for the rest. The pixel limit is lowered to 4 megapixels so one
/// input costs milliseconds, not seconds; the checks it exercises are the same.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let data = start.map { Data(bytes: $0, count: count) } ?? Data()
  _ = try? ImageDecoder.decode(data, name: "fuzz", maxPixels: 1 << 22)
  return 0
}

/// The program's entry (SwiftPM names it `FuzzImageDecoder_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzImageDecoder_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
