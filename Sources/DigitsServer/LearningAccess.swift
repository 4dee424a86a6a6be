import Foundation
import Hummingbird

/// Who may call the learning routes (store corrections, fine-tune, undo, read their state).
///
/// A correction or a fine-tune changes what the server answers for everyone, so these routes
/// answer only requests that (1) name an allowed host in `Host`: a web page on another site
/// that points its own name at this server (DNS rebinding) sends its own name there;
/// (2) carry no `Origin`, or this server's own: another site's page sends its origin;
/// (3) with a `token`, send it as `Authorization: Bearer <token>`: anyone else on the network.
public struct LearningAccess: Sendable {
  /// Host names without port, lowercased; IPv6 literals in brackets.
  public let allowedHosts: Set<String>
  /// Required in `Authorization: Bearer` when set.
  public let token: String?

  /// `localhost`, `127.0.0.1`, `[::1]`, the address bound and `extraHosts`.
  public init(boundHost: String, extraHosts: [String] = [], token: String? = nil) {
    allowedHosts = Set(
      ["localhost", "127.0.0.1", "[::1]"] + ([boundHost] + extraHosts).filter { !$0.isEmpty }.map(Self.hostName))
    self.token = token
  }

  /// Whether `host` is a loopback address, where learning may be on without a token.
  public static func isLoopback(_ host: String) -> Bool {
    let name = hostName(host)
    return name == "localhost" || name == "[::1]" || name.hasPrefix("127.")
  }

  /// A random token of 32 hex digits (128 bits).
  public static func makeToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
  }

  /// `host` (an address bound, a Host header or `--allowed-host`) without its port,
  /// lowercased; IPv6 literals keep or gain their brackets.
  public static func hostName(_ host: String) -> String {
    let lower = host.lowercased().trimmingCharacters(in: .whitespaces)
    if lower.hasPrefix("[") {
      guard let close = lower.firstIndex(of: "]") else { return lower }
      return String(lower[...close])
    }
    let colons = lower.filter { $0 == ":" }.count
    if colons > 1 { return "[\(lower)]" }  // a bare IPv6 address, as bound
    if colons == 1, let colon = lower.firstIndex(of: ":") { return String(lower[..<colon]) }
    return lower
  }

  /// nil when the request may go on; else the error to answer.
  func refusal(authority: String?, origin: String?, authorization: String?) -> APIError? {
    guard let authority, allowedHosts.contains(Self.hostName(authority)) else {
      return APIError(
        .forbidden,
        "learning answers only requests addressed to an allowed host (Host header); "
          + "serve --allowed-host NAME adds one")
    }
    if let origin, !Self.isOwnOrigin(origin, authority: authority) {
      return APIError(.forbidden, "learning answers only this server's own page (Origin header)")
    }
    if let token, !Self.sameSecret(authorization, "Bearer " + token) {
      return APIError(
        .unauthorized, "learning needs the token serve printed at start: send Authorization: Bearer TOKEN",
        headers: [.wwwAuthenticate: "Bearer"])
    }
    return nil
  }

  /// The page served at `authority` sends `http://authority` (or https behind a TLS proxy).
  static func isOwnOrigin(_ origin: String, authority: String) -> Bool {
    let origin = origin.lowercased(), authority = authority.lowercased()
    return origin == "http://\(authority)" || origin == "https://\(authority)"
  }

  /// Compares in time independent of where the two differ, so the token cannot be guessed a
  /// character at a time.
  static func sameSecret(_ given: String?, _ expected: String) -> Bool {
    let a = Array((given ?? "").utf8), b = Array(expected.utf8)
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for i in 0..<b.count { difference |= b[i] ^ (i < a.count ? a[i] : 0) }
    return difference == 0
  }
}

/// Applies `LearningAccess` to the routes added after it.
struct LearningAccessMiddleware<Context: RequestContext>: RouterMiddleware {
  let access: LearningAccess

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    if let refusal = access.refusal(
      authority: request.head.authority, origin: request.headers[.origin],
      authorization: request.headers[.authorization])
    {
      throw refusal
    }
    return try await next(request, context)
  }
}
