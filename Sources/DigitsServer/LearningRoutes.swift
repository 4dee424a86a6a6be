import DigitsCore
import Foundation
import Hummingbird
import NIOCore

/// The routes that teach the served model a writer's hand:
/// `GET|POST /api/corrections`, `GET|POST /api/finetune`, `POST /api/finetune/undo`.
///
/// Every POST takes `Content-Type: application/json`, even the ones with no fields: a web
/// page of another site can send a plain form or `text/plain` to localhost without asking,
/// but not JSON, so it cannot make the server learn or forget.
extension DigitsServer {
  /// A correction: the 28x28 input the model saw (784 values in [0, 1], ink 1, row by row)
  /// and the digit it really was.
  struct CorrectionRequest: Decodable {
    let input28: [Double]
    let label: Int
  }

  struct CorrectionSaved: Encodable {
    let file: String
    let count: Int
  }

  struct CorrectionCount: Encodable {
    let count: Int
    let limit: Int
  }

  /// Largest JSON body: 784 numbers of up to 20 characters each, with room to spare.
  static let maxCorrectionBytes = 64 << 10

  static func addLearningRoutes(
    to api: RouterGroup<BasicRequestContext>, job: FinetuneJob, limits: Limits, inFlight: InFlightLimit,
    uploads: UploadBudget
  ) {
    api.get("corrections") { _, _ in
      try encoded(CorrectionCount(count: job.store.count, limit: job.store.limits.maxCount))
    }
    api.post("corrections") { request, _ in
      try checkJSON(request.headers[.contentType])
      let share = uploads.share()
      defer { share.release() }
      let body = try await jsonBody(request, limits: limits, share: share)
      guard inFlight.enter() else { throw InFlightLimit.busy() }
      defer { inFlight.leave() }
      let correction = try decodeCorrection(body)
      let input = correction.input28.map(Float.init)
      let saved = try job.store.add(input28: input, label: correction.label)
      return try encoded(CorrectionSaved(file: saved.file, count: saved.count), status: .created)
    }
    api.get("finetune") { _, _ in try encoded(job.status) }
    api.post("finetune") { request, _ in
      try checkJSON(request.headers[.contentType])
      _ = try await jsonBody(request, limits: limits)
      return try encoded(try job.start(), status: .accepted)
    }
    api.post("finetune/undo") { request, _ in
      try checkJSON(request.headers[.contentType])
      _ = try await jsonBody(request, limits: limits)
      return try encoded(try job.undo())
    }
  }

  static func decodeCorrection(_ body: ByteBuffer) throws -> CorrectionRequest {
    let correction: CorrectionRequest
    do {
      correction = try JSONDecoder().decode(CorrectionRequest.self, from: Data(body.readableBytesView))
    } catch {
      throw APIError(
        .badRequest, "expected JSON {\"input28\": [\(MNISTShape.pixels) numbers in 0...1], \"label\": 0-9}")
    }
    guard correction.input28.count == MNISTShape.pixels else {
      throw APIError(
        .badRequest,
        "input28 holds \(correction.input28.count) numbers; it takes \(MNISTShape.pixels) (\(MNISTShape.side)x\(MNISTShape.side))"
      )
    }
    guard correction.input28.allSatisfy({ $0.isFinite && (0...1).contains($0) }) else {
      throw APIError(.badRequest, "input28 values must lie in 0...1")
    }
    guard (0..<MNISTShape.classes).contains(correction.label) else {
      throw APIError(.badRequest, "label must be a digit 0-9, got \(correction.label)")
    }
    return correction
  }

  static func checkJSON(_ header: String?) throws {
    let type = header?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
    guard type == "application/json" else {
      throw APIError(.unsupportedMediaType, "send Content-Type application/json, got \(type.isEmpty ? "none" : type)")
    }
  }

  /// A JSON body of at most `maxCorrectionBytes` (413 beyond), within the request timeout (408).
  static func jsonBody(_ request: Request, limits: Limits, share: UploadBudget.Share? = nil) async throws -> ByteBuffer
  {
    var small = limits
    small.maxBodyBytes = min(limits.maxBodyBytes, maxCorrectionBytes)
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > small.maxBodyBytes {
      throw APIError(.contentTooLarge, "request body larger than \(small.maxBodyBytes >> 10) KB")
    }
    do {
      return try await collect(
        request.body, deadline: ContinuousClock.now + limits.requestTimeout, limits: small, share: share)
    } catch let error as APIError where error.status == .contentTooLarge {
      throw APIError(.contentTooLarge, "request body larger than \(small.maxBodyBytes >> 10) KB")
    }
  }

  static func encoded(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return JSONResponse.make(String(decoding: try encoder.encode(value), as: UTF8.self), status: status)
  }
}
