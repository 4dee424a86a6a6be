import DigitsCore
import DigitsVision
import Foundation
import FuzzDriver

/// HEIC bytes through `ImageDecoder.decode`: libheif's box parser, its size limit, the size
/// check before decoding, libde265's decoder and the copy out of libheif's planes. "ftyp"
/// and the brand "heic" are written over bytes 4-11, so no mutation is spent failing the
/// format check. libheif and libde265 are Debian's, not instrumented (Fuzz/README.md).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  var data = start.map { Data(bytes: $0, count: count) } ?? Data()
  guard data.count >= 12 else { return 0 }
  data.replaceSubrange(4..<12, with: Data("ftypheic".utf8))
  _ = try? ImageDecoder.decode(data, name: "fuzz", maxPixels: 1 << 22)
  return 0
}

/// The program's entry (SwiftPM names it `FuzzHEIF_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzHEIF_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
