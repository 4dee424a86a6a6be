import DigitsCore
import DigitsVision
import Foundation
import FuzzDriver

/// WebP bytes through `ImageDecoder.decode`: the RIFF size check, libwebp's header and
/// decoder, the EXIF chunk's orientation. The signature ("RIFF" size "WEBP") is written over
/// the input's first 12 bytes, so no mutation is spent failing the format check. libwebp
/// itself is Debian's, not instrumented (Fuzz/README.md).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  var data = start.map { Data(bytes: $0, count: count) } ?? Data()
  guard data.count >= 12 else { return 0 }
  data.replaceSubrange(0..<4, with: Data("RIFF".utf8))
  data.replaceSubrange(8..<12, with: Data("WEBP".utf8))
  _ = try? ImageDecoder.decode(data, name: "fuzz", maxPixels: 1 << 22)
  return 0
}

/// The program's entry (SwiftPM names it `FuzzWebP_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzWebP_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
