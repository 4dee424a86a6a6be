import Hummingbird

/// Refuses requests whose Host names another site while the server listens on loopback: a
/// page elsewhere could otherwise point its own name at 127.0.0.1 (DNS rebinding) and
/// reach the API as if it were same-origin. Allowed: the address bound, `localhost`,
/// `127.0.0.1` and `[::1]`, with any port; a request without Host (not a browser) passes.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
  let allowed: Set<String>

  /// nil when `boundHost` is not a loopback address: then any Host is fine.
  init?(boundHost: String) {
    let host = boundHost.lowercased()
    guard host == "localhost" || host == "::1" || host.hasPrefix("127.") else { return nil }
    allowed = ["localhost", "127.0.0.1", "[::1]", host.contains(":") ? "[\(host)]" : host]
  }

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    guard let authority = request.head.authority else { return try await next(request, context) }
    guard allowed.contains(Self.hostName(authority)) else {
      throw APIError(
        .forbidden, "this server answers only requests addressed to localhost or its own address (Host header)")
    }
    return try await next(request, context)
  }

  /// `authority` without its port, lowercased; IPv6 literals keep their brackets.
  static func hostName(_ authority: String) -> String {
    let lower = authority.lowercased()
    if lower.hasPrefix("[") {
      guard let close = lower.firstIndex(of: "]") else { return lower }
      return String(lower[...close])
    }
    if let colon = lower.lastIndex(of: ":"), lower.firstIndex(of: ":") == colon { return String(lower[..<colon]) }
    return lower
  }
}
