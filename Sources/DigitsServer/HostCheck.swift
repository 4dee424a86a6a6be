import Hummingbird

/// Refuses requests whose Host names another site while the server listens on loopback: a
/// page elsewhere could otherwise point its own name at 127.0.0.1 (DNS rebinding) and
/// reach the API as if it were same-origin. Allowed: `LearningAccess.allowedHosts` (the
/// loopback names, the address bound, `--allowed-host`), with any port; a request without
/// Host (not a browser) passes.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
  let allowed: Set<String>

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    guard let authority = request.head.authority else { return try await next(request, context) }
    guard allowed.contains(LearningAccess.hostName(authority)) else {
      throw APIError(
        .forbidden, "this server answers only requests addressed to localhost or its own address (Host header)")
    }
    return try await next(request, context)
  }
}
