import DigitsCore
import Hummingbird

/// An API failure: the status and one line saying what was wrong, sent as
/// `{"error": "..."}` so a client always gets JSON from /api.
public struct APIError: HTTPResponseError, CustomStringConvertible {
  public let status: HTTPResponse.Status
  public let description: String

  public init(_ status: HTTPResponse.Status, _ message: String) {
    self.status = status
    self.description = message
  }

  public func response(from request: Request, context: some RequestContext) throws -> Response {
    JSONResponse.make(JSONText.object([("error", JSONText.string(description))]), status: status)
  }
}

/// Turns every error under /api (a route not found, a body too large, a bug) into an
/// `APIError`, so API clients never get an HTML or empty error body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    do {
      return try await next(request, context)
    } catch where !request.uri.path.hasPrefix("/api/") {
      throw error
    } catch let error as APIError {
      throw error
    } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
      throw APIError(error.status, "no such API route: \(request.method) \(request.uri.path) "
        + "(routes: POST /api/predict, GET /api/health, GET /api/model)")
    } catch let error as HTTPError {
      throw APIError(error.status, error.body ?? error.status.reasonPhrase)
    } catch let error as any HTTPResponseError {
      throw APIError(error.status, error.status == .contentTooLarge ? "request body too large" : error.status.reasonPhrase)
    } catch is CancellationError {
      throw APIError(.serviceUnavailable, "request cancelled")
    } catch {
      context.logger.error("\(request.method) \(request.uri.path): \(error)")
      throw APIError(.internalServerError, "internal error: \(error)")
    }
  }
}

enum JSONResponse {
  static func make(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
             body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
  }
}
