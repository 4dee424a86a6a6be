import DigitsCore

/// The one JSON schema of an answer: a `/api/predict` body, and a `digits predict --json` line
/// with `file` in front. The server's OpenAPI document (`GET /api/openapi.json`) describes it
/// as `Digit` and `Number`.
extension PictureAnswer {
  /// `classNames` label the digits; `file` names the picture (the command's lines).
  public func json(classNames: [String], file: String? = nil) -> String {
    let named = file.map { [("file", JSONText.string($0))] } ?? []
    switch self {
    case .digit(let digit):
      return JSONText.object(named + digit.fields(classNames: classNames))
    case .blank(let note):
      return JSONText.object(
        named + [
          ("digit", "null"), ("label", "null"), ("reason", JSONText.string("blank")), ("confidence", "null"),
          ("probabilities", "null"), ("input28", "null"), ("note", JSONText.string(note)),
        ])
    case .number(let reading):
      let digits = reading.digits.map {
        JSONText.object(
          Digit(pixels: $0.pixels, probabilities: $0.probabilities, box: $0.box, minConfidence: 0)
            .fields(classNames: classNames))
      }
      let unsure = reading.unsure.map { position in
        let candidates = DigitClassifier.ranked(reading.digits[position].probabilities[...]).prefix(2).map {
          JSONText.object([("digit", String($0.index)), ("confidence", JSONText.number($0.probability))])
        }
        return JSONText.object([("position", String(position)), ("candidates", JSONText.array(candidates))])
      }
      let empty = reading.digits.isEmpty
      let numbers = reading.numbers.map { number in
        JSONText.object([
          ("number", JSONText.string(reading.number(number))), ("text", JSONText.string(reading.text(number))),
          ("confidence", JSONText.number(number.confidence)),
          ("box", "[\(number.box.x),\(number.box.y),\(number.box.width),\(number.box.height)]"),
          ("digits", "[\(number.digits.lowerBound),\(number.digits.count)]"),
        ])
      }
      return JSONText.object(
        named + [
          ("number", empty ? "null" : JSONText.string(reading.number)),
          ("digits", JSONText.array(digits)), ("note", reading.note.map(JSONText.string) ?? "null"),
          ("text", empty ? "null" : JSONText.string(reading.text)),
          ("confidence", empty ? "null" : JSONText.number(reading.confidence)),
          ("unsure", JSONText.array(unsure)), ("numbers", JSONText.array(numbers)),
        ])
    }
  }

  /// A picture that could not be read, as a `digits predict --json` line: the digit's fields,
  /// all null, and the error.
  public static func failureJSON(file: String, message: String) -> String {
    JSONText.object([
      ("file", JSONText.string(file)), ("digit", "null"), ("label", "null"), ("confidence", "null"),
      ("probabilities", "null"), ("input28", "null"), ("error", JSONText.string(message)),
    ])
  }
}

extension PictureAnswer.Digit {
  /// Unsure or `several` give `"digit": null` and a `reason`.
  func fields(classNames: [String]) -> [(String, String)] {
    let best = self.best
    var fields: [(String, String)]
    if let several {
      fields = [
        ("digit", "null"), ("label", "null"), ("reason", JSONText.string("several")),
        ("number", JSONText.string(several)),
      ]
    } else if case .unsure(let candidates) = answer {
      let list = candidates.map {
        JSONText.object([("digit", String($0.digit)), ("confidence", JSONText.number($0.confidence))])
      }
      fields = [
        ("digit", "null"), ("label", "null"), ("reason", JSONText.string("unsure")),
        ("candidates", JSONText.array(list)),
      ]
    } else {
      fields = [("digit", String(best.index)), ("label", JSONText.string(classNames[best.index]))]
    }
    return fields + [
      ("confidence", JSONText.number(best.probability)), ("probabilities", JSONText.numbers(probabilities)),
      ("input28", JSONText.numbers(pixels)),
      ("box", box.map { "[\($0.x),\($0.y),\($0.width),\($0.height)]" } ?? "null"),
    ]
  }
}
