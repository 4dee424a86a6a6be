import DigitsCore
import DigitsVision
import Foundation
import FuzzDriver

/// What `digits predict -` reads from stdin: text arrays, raw 784-byte images, or an image
/// file, told apart by `RawInput.images` itself.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let data = start.map { Data(bytes: $0, count: count) } ?? Data()
  _ = try? RawInput.images(data, name: "stdin")
  return 0
}

/// The program's entry (SwiftPM names it `FuzzRawInput_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzRawInput_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
