import DigitsCore
import Foundation
import FuzzDriver
import Hummingbird

@testable import DigitsServer

/// `POST /api/corrections` without the socket: the Content-Type check and the JSON decoding
/// and checks of `DigitsServer.addLearningRoutes`. A refusal must be a 4xx `APIError`; a
/// correction that passes must be what the store is promised (784 finite values in 0...1, a
/// label 0-9). Anything else is a bug, and the target stops on it.
///
/// Input framing: `content-type \n body`; a missing line is empty.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let bytes = start.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
  let parts = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false)
  let contentType = String(decoding: parts.first ?? [], as: UTF8.self)
  let body = ByteBuffer(bytes: parts.count > 1 ? parts[1] : [])
  do {
    try DigitsServer.checkJSON(contentType)
    let correction = try DigitsServer.decodeCorrection(body)
    guard correction.input28.count == MNISTShape.pixels,
      correction.input28.allSatisfy({ $0.isFinite && (0...1).contains($0) }),
      (0..<MNISTShape.classes).contains(correction.label)
    else { fatalError("decodeCorrection let through \(correction.input28.count) values, label \(correction.label)") }
  } catch let error as APIError where (400..<500).contains(error.status.code) {
    // A refusal with a 4xx: the right answer to bad input.
  } catch {
    fatalError("answered with a server error (5xx): \(error)")
  }
  return 0
}

/// The program's entry (SwiftPM names it `FuzzLearningJSON_main` on Linux): libFuzzer's
/// driver, which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzLearningJSON_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
