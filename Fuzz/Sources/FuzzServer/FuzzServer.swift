import CPUBackend
import DefaultModel
import DigitsCore
import DigitsVision
import Foundation
import FuzzDriver
import HummingbirdCore

@testable import DigitsServer

/// `POST /api/predict` without the network socket: the query string, the Content-Type and
/// the body go through the same checks and the same `PredictionService` (the built-in model
/// on the CPU backend) as in `DigitsServer.router`.
///
/// Input framing: `query \n content-type \n body`; a missing line is empty.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let bytes = start.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
  let request = FramedRequest(bytes)
  do {
    let multi = try DigitsServer.multiParameter(URI("/api/predict?" + request.query).queryParameters)
    try DigitsServer.checkContentType(request.contentType)
    _ = try Blocking.run { try await service.predict(request.body, multi: multi) }
  } catch {
    // Every refusal is an answer (4xx); only crashes, leaks and OOMs are bugs.
  }
  return 0
}

/// The three parts of one fuzz input.
struct FramedRequest {
  var query = ""
  var contentType = ""
  var body = Data()

  init(_ bytes: [UInt8]) {
    let lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
    if lines.count > 0 { query = String(decoding: lines[0], as: UTF8.self) }
    if lines.count > 1 { contentType = String(decoding: lines[1], as: UTF8.self) }
    if lines.count > 2 { body = Data(lines[2]) }
  }
}

/// One service for the whole run, as one `digits serve` process has; 4 megapixels at most so
/// that an input costs milliseconds.
let service: PredictionService = {
  let model = try! DefaultModel.load()
  return PredictionService(
    model: model, modelName: DefaultModel.name,
    classifier: DigitClassifier(model: model, backend: CPUBackend.make(threads: 1), batchSize: 16),
    backendDescription: "cpu (1 thread)", maxPixels: 1 << 22)
}()

/// Runs async work to completion from libFuzzer's synchronous callback.
enum Blocking {
  static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Result<T, any Error>!
    Task {
      do { result = .success(try await work()) } catch { result = .failure(error) }
      done.signal()
    }
    done.wait()
    return try result.get()
  }
}

/// The program's entry (SwiftPM names it `FuzzServer_main` on Linux): libFuzzer's driver,
/// which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzServer_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
