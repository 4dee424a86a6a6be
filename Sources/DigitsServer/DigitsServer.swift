import DigitsCore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// `digits serve`: the drawing page and the JSON API on Hummingbird 2.
///
/// Routes: `GET /` (the page; its script and style are embedded in the binary, so it works
/// offline), `POST /api/predict[?multi=1]` (an image file's bytes in, JSON out),
/// `GET /api/health`, `GET /api/model`, `GET /api/openapi.json` (the API described), and with
/// a `FinetuneJob` the corrections and fine-tune routes (`LearningRoutes.swift`).
public enum DigitsServer {
  public struct Limits: Sendable {
    /// Largest request body (413 above it).
    public var maxBodyBytes = 5 << 20
    /// Longest the body may take to arrive (408), and longest a connection may sit idle.
    public var requestTimeout: Duration = .seconds(10)
    /// Predictions in flight at once, counted once their body has arrived; beyond it 503.
    public var maxInFlight = 8 * ProcessInfo.processInfo.activeProcessorCount
    /// Bytes of bodies still arriving, all requests together (at least `maxBodyBytes`);
    /// beyond it 503. The bound on what slow and abusive uploads hold in memory.
    public var maxUploadBytes = 64 << 20
    /// Open connections; beyond it new ones wait in the kernel's backlog until one closes.
    /// Well above the slots: a connection that trickles its body must not keep a new
    /// client waiting in the backlog for the request deadline.
    public var maxConnections = 2048
    public init() {}
  }

  /// Image types the API reads (`ImageDecoder` decodes them all). Anything else gets 415.
  static let imageTypes: Set<String> = [
    "image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/bmp", "image/x-bmp", "image/x-ms-bmp", "image/gif",
    "image/x-portable-graymap", "image/x-portable-pixmap", "image/x-portable-anymap", "image/webp", "image/heic",
    "image/heif",
  ]

  /// The routes, for `makeApplication` and for tests (through _HTTPTesting).
  /// `boundHost`: the address listened on; when it is loopback, requests for hosts that
  /// `access` does not allow are refused on every route (`HostCheckMiddleware`). `access`
  /// guards the learning routes on every bind (default: the loopback names and `boundHost`,
  /// no token).
  public static func router(
    service: PredictionService, limits: Limits = Limits(), boundHost: String? = nil,
    learning: FinetuneJob? = nil, access: LearningAccess? = nil
  ) -> Router<BasicRequestContext> {
    let router = Router()
    let access = access ?? LearningAccess(boundHost: boundHost ?? "localhost")
    if let boundHost, LearningAccess.isLoopback(boundHost) {
      router.add(middleware: HostCheckMiddleware(allowed: access.allowedHosts))
    }
    let page = Page()
    let inFlight = InFlightLimit(limits.maxInFlight)
    let uploads = UploadBudget(max(limits.maxUploadBytes, limits.maxBodyBytes))
    router.get("/") { _, _ in page.response(page.index, type: "text/html; charset=utf-8") }
    router.get("/index.html") { _, _ in page.response(page.index, type: "text/html; charset=utf-8") }
    router.get("/page.js") { _, _ in page.response(page.script, type: "text/javascript; charset=utf-8") }
    router.get("/page.css") { _, _ in page.response(page.style, type: "text/css; charset=utf-8") }

    router.add(middleware: JSONErrorMiddleware())
    let api = router.group("api")
    api.get("health") { _, _ in JSONResponse.make(service.healthJSON(inFlight: inFlight.current)) }
    api.get("model") { _, _ in JSONResponse.make(service.modelJSON) }
    api.get("openapi.json") { _, _ in JSONResponse.make(OpenAPI.text) }
    api.post("predict") { request, _ in
      let multi = try multiParameter(request.uri.queryParameters)
      try checkContentType(request.headers[.contentType])
      if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.maxBodyBytes {
        throw tooLarge(limits)
      }
      let share = uploads.share()
      defer { share.release() }
      let deadline = ContinuousClock.now + limits.requestTimeout
      let body = try await collect(request.body, deadline: deadline, limits: limits, share: share)
      guard inFlight.enter() else { throw InFlightLimit.busy() }
      defer { inFlight.leave() }
      let (json, timing) = try await service.predict(Data(body.readableBytesView), multi: multi)
      var response = JSONResponse.make(json)
      response.headers[.init("Server-Timing")!] = timing.header
      return response
    }
    if let learning {
      let guarded = api.group().add(middleware: LearningAccessMiddleware(access: access))
      addLearningRoutes(to: guarded, job: learning, limits: limits, inFlight: inFlight, uploads: uploads)
    }
    return router
  }

  /// A server on `host:port` (port 0: any free port). `onRunning` gets the port bound.
  public static func makeApplication(
    service: PredictionService, host: String, port: Int, limits: Limits = Limits(), logLevel: Logger.Level = .warning,
    learning: FinetuneJob? = nil, access: LearningAccess? = nil, onRunning: @escaping @Sendable (Int) async -> Void
  ) -> some ApplicationProtocol {
    var logger = Logger(label: "digits.serve")
    logger.logLevel = logLevel
    let router = router(service: service, limits: limits, boundHost: host, learning: learning, access: access)
    if logLevel <= .info { router.middlewares.add(LogRequestsMiddleware(.info)) }
    let idle = limits.requestTimeout.components
    return Application(
      router: router,
      server: .http1(configuration: .init(idleTimeout: .seconds(idle.seconds))),
      configuration: .init(
        address: .hostname(host, port: port), serverName: "digits",
        availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
      onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
      logger: logger)
  }

  // MARK: - Request checks

  static func multiParameter(_ query: Parameters) throws -> Bool {
    var multi = false
    for (key, value) in query {
      guard key == "multi" else {
        throw APIError(.badRequest, "unknown query parameter '\(key)' (the one known is multi=0|1)")
      }
      switch value.lowercased() {
      case "1", "true", "yes", "": multi = true
      case "0", "false", "no": multi = false
      default: throw APIError(.badRequest, "multi must be 0 or 1, got '\(value)'")
      }
    }
    return multi
  }

  static func checkContentType(_ header: String?) throws {
    guard let header, !header.isEmpty else {
      throw APIError(
        .unsupportedMediaType, "no Content-Type: send the image file's bytes with Content-Type image/png or image/jpeg")
    }
    let type = header.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
    guard imageTypes.contains(type) else {
      let hint =
        type.hasPrefix("multipart/")
        ? " (send the file's bytes as the body, not a form)"
        : type == "application/x-www-form-urlencoded"
          ? " (curl sends that with --data-binary unless given -H 'Content-Type: image/png')"
          : ""
      throw APIError(
        .unsupportedMediaType,
        "Content-Type \(type) is not an image the server reads; "
          + "send image/png or image/jpeg (also bmp, gif, pgm/ppm, webp, heic)\(hint)")
    }
  }

  static func tooLarge(_ limits: Limits) -> APIError {
    APIError(.contentTooLarge, "request body larger than \(limits.maxBodyBytes >> 20) MB; send a smaller image")
  }

  /// The request body, up to `limits.maxBodyBytes` (413 beyond), given up with 408 when
  /// `deadline` passes while it is still arriving. A timer ends the wait, so a client that
  /// sends part of a body and then nothing holds its request only until the deadline, not
  /// until its next byte; the work after the body is bounded by the size limits. Each chunk
  /// is taken from `share` (503 when the server holds too many bytes of bodies).
  public static func collect(
    _ body: some AsyncSequence<ByteBuffer, any Error> & Sendable, deadline: ContinuousClock.Instant, limits: Limits,
    share: UploadBudget.Share? = nil
  ) async throws -> ByteBuffer {
    let late = APIError(
      .requestTimeout, "the body took longer than \(limits.requestTimeout.components.seconds) s to arrive")
    return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
      group.addTask {
        var collected = ByteBuffer()
        for try await chunk in body {
          guard collected.readableBytes + chunk.readableBytes <= limits.maxBodyBytes else { throw tooLarge(limits) }
          try share?.take(chunk.readableBytes)
          collected.writeImmutableBuffer(chunk)
          if ContinuousClock.now > deadline { throw late }
        }
        return collected
      }
      group.addTask {
        try await Task.sleep(until: deadline, clock: .continuous)
        return nil
      }
      defer { group.cancelAll() }
      guard case let collected?? = try await group.next() else { throw late }
      return collected
    }
  }
}

/// The page's three files, embedded at build time.
struct Page: Sendable {
  let index = ByteBuffer(bytes: PackageResources.index_html)
  let script = ByteBuffer(bytes: PackageResources.page_js)
  let style = ByteBuffer(bytes: PackageResources.page_css)

  func response(_ body: ByteBuffer, type: String) -> Response {
    Response(
      status: .ok,
      headers: [
        .contentType: type, .cacheControl: "no-cache", .init("X-Content-Type-Options")!: "nosniff",
        .init("Content-Security-Policy")!:
          "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'",
      ], body: ResponseBody(byteBuffer: body))
  }
}
