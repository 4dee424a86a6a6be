import DigitsCore
import Hummingbird

/// An API failure: the status and one line saying what was wrong, sent as
/// `{"error": "..."}` so a client always gets JSON from /api.
public struct APIError: HTTPResponseError, CustomStringConvertible {
  public let status: HTTPResponse.Status
  public let description: String
  /// Added to the response (Retry-After on 503).
  public let headers: HTTPFields

  public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
    self.status = status
    self.description = message
    self.headers = headers
  }

  public func response(from request: Request, context: some RequestContext) throws -> Response {
    var response = JSONResponse.make(JSONText.object([("error", JSONText.string(description))]), status: status)
    response.headers.append(contentsOf: headers)
    return response
  }
}

/// Turns every error under /api (a route not found, a body too large, a bug) into an
/// `APIError`, so API clients never get an HTML or empty error body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    do {
      return try await next(request, context)
    } catch  where !request.uri.path.hasPrefix("/api/") {
      throw error
    } catch let error as APIError {
      throw error
    } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
      throw APIError(
        error.status,
        "no such API route: \(request.method) \(request.uri.path) "
          + "(routes: POST /api/predict, GET /api/health, GET /api/model, GET /api/openapi.json)")
    } catch let error as HTTPError {
      throw APIError(error.status, error.body ?? error.status.reasonPhrase)
    } catch let error as any HTTPResponseError {
      throw APIError(
        error.status, error.status == .contentTooLarge ? "request body too large" : error.status.reasonPhrase)
    } catch is CancellationError {
      throw APIError(.serviceUnavailable, "request cancelled")
    } catch {
      // The details go to the log only: they may name files, devices or memory addresses.
      context.logger.error("\(request.method) \(request.uri.path): \(error)")
      throw APIError(.internalServerError, "internal error (the server's log has the details)")
    }
  }
}

enum JSONResponse {
  static func make(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(
      status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
      body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
  }
}
