import DigitsCore
import DigitsServer
import DigitsVision
import Foundation
import Hummingbird
import Testing
import _HTTPTesting
import _TestSupport

/// /api/openapi.json stays true: every route it names answers, and every answer (status,
/// body, every field) is what the document says, for good and bad requests alike.
@Suite struct OpenAPITests {
  struct Case {
    let path: String, query: String, method: HTTPRequest.Method, type: String?, body: Data
  }

  static let cases: [Case] = {
    let png = ServerFixture.drawn[1].png
    let blank = StrokeDrawing.png(GrayImage(width: 50, height: 50, value: 1))
    let number = try! ServerFixture.example("number-2024.png")
    return [
      Case(path: "/api/health", query: "", method: .get, type: nil, body: Data()),
      Case(path: "/api/model", query: "", method: .get, type: nil, body: Data()),
      Case(path: "/api/openapi.json", query: "", method: .get, type: nil, body: Data()),
      Case(path: "/api/predict", query: "", method: .post, type: "image/png", body: png),
      Case(path: "/api/predict", query: "", method: .post, type: "image/png", body: blank),
      Case(path: "/api/predict", query: "?multi=1", method: .post, type: "image/png", body: number),
      Case(path: "/api/predict", query: "?multi=1", method: .post, type: "image/png", body: blank),
      Case(path: "/api/predict", query: "", method: .post, type: "image/png", body: Data("text".utf8)),
      Case(path: "/api/predict", query: "?multi=2", method: .post, type: "image/png", body: png),
      Case(path: "/api/predict", query: "", method: .post, type: "text/plain", body: png),
      Case(path: "/api/predict", query: "", method: .post, type: "image/png", body: Data(count: 65 << 10)),
      Case(path: "/api/finetune", query: "", method: .post, type: "application/json", body: Data()),
      Case(path: "/api/corrections", query: "", method: .get, type: nil, body: Data()),
      Case(
        path: "/api/corrections", query: "", method: .post, type: "application/json",
        body: Data(LearningTests.body(LearningTests.one, label: 1).readableBytesView)),
      Case(path: "/api/corrections", query: "", method: .post, type: "application/json", body: Data("{}".utf8)),
      Case(path: "/api/corrections", query: "", method: .post, type: "text/plain", body: Data("{}".utf8)),
      Case(path: "/api/finetune", query: "", method: .get, type: nil, body: Data()),
      Case(path: "/api/finetune/undo", query: "", method: .post, type: "application/json", body: Data()),
    ]
  }()

  @Test func everyAnswerIsDocumented() async throws {
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(OpenAPI.text.utf8)) as? [String: Any])
    #expect(document["openapi"] as? String == "3.0.3")
    let schema = Schema(document: document)
    let paths = try #require(document["paths"] as? [String: [String: Any]])
    var limits = ServerFixture.limits
    limits.maxBodyBytes = 64 << 10
    var covered: Set<String> = []
    // With the learning routes, on an empty corrections folder (so POST /api/finetune is a 409).
    let answers = try await LearningTests.Fixture().app(limits: limits).test(.router) { client in
      var answers: [(status: Int, type: String?, body: Data)] = []
      for c in Self.cases {
        var headers = HTTPFields()
        if let type = c.type { headers[.contentType] = type }
        answers.append(
          try await client.execute(
            uri: c.path + c.query, method: c.method, headers: headers, body: ByteBuffer(bytes: c.body)
          ) { (Int($0.status.code), $0.headers[.contentType], Data($0.body.readableBytesView)) })
      }
      return answers
    }
    for (c, answer) in zip(Self.cases, answers) {
      let what = "\(c.method) \(c.path)\(c.query) -> \(answer.status)"
      let operation = paths[c.path]?[c.method.rawValue.lowercased()] as? [String: Any]
      let responses = try #require(operation?["responses"] as? [String: Any], "\(what): not documented")
      let documented = try #require(
        responses[String(answer.status)].flatMap(schema.resolve), "\(what): status not documented")
      let content = (documented["content"] as? [String: Any])?["application/json"] as? [String: Any]
      let bodySchema = try #require(content?["schema"] as? [String: Any], "\(what): no JSON schema")
      let body = try JSONSerialization.jsonObject(with: answer.body, options: .fragmentsAllowed)
      #expect(answer.type?.hasPrefix("application/json") == true, "\(what)")
      let problems = schema.check(body, against: bodySchema, at: "body")
      #expect(problems.isEmpty, "\(what): \(problems)")
      covered.insert("\(c.method.rawValue.lowercased()) \(c.path)")
    }
    let named = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
    #expect(named == covered, "documented but not tested: \(named.subtracting(covered))")
  }
}

/// Just enough of OpenAPI 3.0's schema language to check this API's answers: $ref, type,
/// nullable, required, properties (no others allowed), items, min/maxItems, enum,
/// minimum/maximum, anyOf. A schema it cannot read (a $ref to nothing, no type or one it does
/// not know, an array without items) is a problem, never a pass.
struct Schema {
  let document: [String: Any]

  /// The schema `node` stands for, following $refs; nil when a $ref leads nowhere.
  func resolve(_ node: Any) -> [String: Any]? {
    guard var object = node as? [String: Any] else { return nil }
    while let ref = object["$ref"] as? String {
      var target: Any? = document
      for part in ref.dropFirst(2).split(separator: "/") { target = (target as? [String: Any])?[String(part)] }
      guard let found = target as? [String: Any] else { return nil }
      object = found
    }
    return object
  }

  func check(_ value: Any, against node: Any, at path: String) -> [String] {
    guard let schema = resolve(node) else { return ["\(path): schema \(node) does not resolve"] }
    if let options = schema["anyOf"] {
      guard let options = options as? [Any], !options.isEmpty else { return ["\(path): anyOf is not a list"] }
      let results = options.map { check(value, against: $0, at: path) }
      return results.contains { $0.isEmpty } ? [] : ["\(path): matches none of anyOf (\(results.map(\.first)))"]
    }
    if value is NSNull { return schema["nullable"] as? Bool == true ? [] : ["\(path): null, not nullable"] }
    if let allowed = schema["enum"] as? [String], !allowed.contains(value as? String ?? "\u{0}") {
      return ["\(path): \(value) not in \(allowed)"]
    }
    switch schema["type"] as? String {
    case "object":
      guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
      // Without properties, any object (OpenAPI's free-form object).
      guard let properties = schema["properties"] as? [String: Any] else { return [] }
      var problems = ((schema["required"] as? [String]) ?? []).filter { object[$0] == nil }.map {
        "\(path).\($0) missing"
      }
      for (key, item) in object {
        guard let property = properties[key] else {
          problems.append("\(path).\(key) not documented")
          continue
        }
        problems += check(item, against: property, at: "\(path).\(key)")
      }
      return problems
    case "array":
      guard let array = value as? [Any] else { return ["\(path): not an array"] }
      if let least = schema["minItems"] as? Int, array.count < least {
        return ["\(path): \(array.count) items < \(least)"]
      }
      if let most = schema["maxItems"] as? Int, array.count > most {
        return ["\(path): \(array.count) items > \(most)"]
      }
      guard let items = schema["items"] else { return ["\(path): the document gives no items schema"] }
      return array.enumerated().flatMap { check($1, against: items, at: "\(path)[\($0)]") }
    case "string":
      return value is String ? [] : ["\(path): not a string"]
    case "boolean":
      return Self.isBool(value) ? [] : ["\(path): not a boolean"]
    case "integer", "number":
      guard !Self.isBool(value),
        let number = (value as? Int).map(Double.init) ?? (value as? Double) ?? (value as? NSNumber)?.doubleValue
      else { return ["\(path): not a number"] }
      if schema["type"] as? String == "integer", number.rounded() != number {
        return ["\(path): \(number) not an integer"]
      }
      if let least = Self.double(schema["minimum"]), number < least { return ["\(path): \(number) < \(least)"] }
      if let most = Self.double(schema["maximum"]), number > most { return ["\(path): \(number) > \(most)"] }
      return []
    case let type:
      return ["\(path): schema type \(type ?? "absent") is not one the checker knows"]
    }
  }

  static func double(_ value: Any?) -> Double? { (value as? Int).map(Double.init) ?? (value as? Double) }

  /// JSON true or false as JSONSerialization gives it: an NSNumber of C type char (numbers
  /// come as int, long long or double; `is Bool` also holds for 0 and 1).
  static func isBool(_ value: Any) -> Bool {
    guard let number = value as? NSNumber else { return false }
    return String(cString: number.objCType) == "c"
  }
}
