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
/// on the CPU backend) as in `DigitsServer.router`. A refusal must be a 4xx `APIError`: a
/// 5xx, or an error of another kind (which the router answers with 500), stops the target.
///
/// Input framing: `query \n content-type \n body`; a missing line is empty.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let bytes = start.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
  let request = FramedRequest(bytes)
  do {
    let multi = try DigitsServer.multiParameter(URI("/api/predict?" + request.query).queryParameters)
    try DigitsServer.checkContentType(request.contentType)
    try TrackedBody.withBody(request.body) { body in
      _ = try Blocking.run { try await service.predict(body, multi: multi) }
    }
  } catch let error as APIError where (400..<500).contains(error.status.code) {
    // A refusal with a 4xx: the right answer to bad input.
  } catch {
    fatalError("answered with a server error (5xx): \(error)")
  }
  return 0
}

/// The three parts of one fuzz input.
struct FramedRequest {
  var query = ""
  var contentType = ""
  var body: [UInt8] = []

  init(_ bytes: [UInt8]) {
    let lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
    if lines.count > 0 { query = String(decoding: lines[0], as: UTF8.self) }
    if lines.count > 1 { contentType = String(decoding: lines[1], as: UTF8.self) }
    if lines.count > 2 { body = Array(lines[2]) }
  }
}

/// The request body as the server gets it (a `Data`), whose bytes the harness frees itself,
/// and only once the server has dropped every reference to them: each input returns to
/// libFuzzer with its body gone, so LeakSanitizer, which checks as an input returns, never
/// finds a body the server's tasks still hold, and a body the server really keeps is
/// reported (no answer frees it within 5 s).
enum TrackedBody {
  static func withBody(_ bytes: [UInt8], _ serve: (Data) throws -> Void) throws {
    let freed = DispatchSemaphore(value: 0)
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
    bytes.withUnsafeBytes { source in
      if let from = source.baseAddress { buffer.copyMemory(from: from, byteCount: source.count) }
    }
    let served: Result<Void, any Error>
    do {
      // The only reference the harness holds ends with this scope.
      let body = Data(
        bytesNoCopy: buffer, count: bytes.count,
        deallocator: .custom { pointer, _ in
          pointer.deallocate()
          freed.signal()
        })
      served = Result { try serve(body) }
    }
    guard freed.wait(timeout: .now() + 5) == .success else {
      fatalError("the server still holds the request body 5 s after answering")
    }
    try served.get()
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
