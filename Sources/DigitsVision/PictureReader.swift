import DigitsCore

/// The one way a picture is read, by `digits predict` and by the server alike: find the ink,
/// lay out the digit (or with `multi`, the candidate digits of a number), let the network
/// classify, then answer a digit, "unsure", "several digits", a number, or blank.
///
/// Split in two around the network so that each caller runs it its own way (the command in
/// big synchronous batches, the server in batches shared between requests): `prepare` is pure
/// and CPU-bound, safe on any thread; `PreparedPicture.answer` turns the network's
/// probabilities into the answer.
public struct PictureReader: Sendable {
  public var preprocessor: DigitPreprocessor
  /// Whether the model's classes are the ten digits: only then is a wide picture tried as
  /// several digits, or a number read (the number reader is digit-only).
  public var readsDigits: Bool
  /// How the model was trained to see a picture: `resize` models (photos of objects) get the
  /// whole picture, never a search for ink or digits.
  public var layout: ModelFile.Layout
  /// The number reader's judge of whole digits (nil: shape priors only).
  public var judge: PieceJudge?

  public init(
    preprocessor: DigitPreprocessor = DigitPreprocessor(), readsDigits: Bool = true, layout: ModelFile.Layout = .mnist,
    judge: PieceJudge? = nil
  ) {
    self.preprocessor = preprocessor
    self.readsDigits = readsDigits
    self.layout = layout
    self.judge = judge
  }

  /// A wide digit read at least this surely is one digit, and its pieces are never read:
  /// three in four wide MNIST test digits (522 of 704 in `make-pictures.py`'s folder) are
  /// that sure, and they cost the pieces' layout, their network and the judge's. Of 1,600
  /// pairs (`make-pairs.py`, seeds 7 and 8) found as several digits, 9 were that sure.
  public static let sureWhole: Float = 0.999

  /// The one line a model of other classes answers when asked to read a number.
  public static func notDigitsProblem(classNames: [String]) -> String {
    "reading a number needs a model of the ten digits; this one tells apart \(classNames.count) classes ("
      + classNames.prefix(5).joined(separator: ", ") + (classNames.count > 5 ? ", ..." : "") + ")"
  }

  /// Finds the ink and lays out what the network must classify. `deferPieces`: a wide digit's
  /// pieces are not laid out yet (`PreparedPicture.withPieces`), since most wide digits are
  /// read so surely that their pieces are never weighed.
  public func prepare(_ image: GrayImage, multi: Bool, deferPieces: Bool = false) -> PreparedPicture {
    let numbers = NumberReader(preprocessor: preprocessor, judge: judge)
    if multi, readsDigits {
      switch numbers.candidates(image) {
      case .read(let reading): return PreparedPicture(.answered(.number(reading)), numbers: numbers)
      case .classify(let candidates): return PreparedPicture(.number(candidates), numbers: numbers)
      }
    }
    if layout == .resize {
      let (pixels, note) = layout.field(image, preprocessor: preprocessor)
      guard let pixels else { return PreparedPicture(.answered(.blank(note: note ?? "no picture")), numbers: numbers) }
      return PreparedPicture(.digit(pixels, nil), numbers: numbers)
    }
    // One ink map (and its components) serves the digit and, for a wide one, the number reader.
    let (digit, ink) = preprocessor.prepareKeepingMap(image)
    guard let pixels = digit.pixels, let ink else {
      return PreparedPicture(.answered(.blank(note: digit.note ?? "no digit")), numbers: numbers)
    }
    if readsDigits, let box = digit.box, NumberReader.mayHoldSeveral(box) {
      let wide = PreparedPicture(.wide(pixels, box, ink.map, ink.parts), numbers: numbers)
      return deferPieces ? wide : wide.withPieces()
    }
    return PreparedPicture(.digit(pixels, digit.box), numbers: numbers)
  }

  /// `prepare`, the network (`classify` maps n * 784 inputs to n * classes probabilities) and the
  /// answer, in one call.
  public func read(
    _ image: GrayImage, multi: Bool, minConfidence: Double, classify: ([Float]) throws -> [Float]
  ) rethrows -> PictureAnswer {
    let prepared = prepare(image, multi: multi)
    let inputs = prepared.inputs
    return prepared.answer(probabilities: inputs.isEmpty ? [] : try classify(inputs), minConfidence: minConfidence)
  }
}

/// A picture ready for the network: classify `inputs`, then ask for the `answer`.
public struct PreparedPicture: Sendable {
  enum Stage: Sendable {
    case answered(PictureAnswer)
    case digit([Float], PictureAnswer.Box?)
    case number(NumberReader.Candidates)
    /// One digit, unless the number reader finds several in the picture.
    case maybeSeveral([Float], PictureAnswer.Box?, NumberReader.Candidates)
    /// One digit wide enough to be several, its pieces not laid out yet: the picture's ink
    /// map and components, for `withPieces`. Answered as one digit.
    case wide([Float], PictureAnswer.Box?, InkMap, InkComponents?)
  }

  let stage: Stage
  let numbers: NumberReader

  init(_ stage: Stage, numbers: NumberReader) {
    self.stage = stage
    self.numbers = numbers
  }

  /// n * 784 network inputs (ink 1 on 0), none when the answer needs no network.
  public var inputs: [Float] {
    switch stage {
    case .answered: return []
    case .digit(let pixels, _), .wide(let pixels, _, _, _): return pixels
    case .number(let candidates): return candidates.inputs
    case .maybeSeveral(let pixels, _, let candidates): return pixels + candidates.inputs
    }
  }

  /// How many pictures of 28x28 `inputs` holds.
  public var count: Int {
    switch stage {
    case .answered: return 0
    case .digit, .wide: return 1
    case .number(let candidates): return candidates.count
    case .maybeSeveral(_, _, let candidates): return 1 + candidates.count
    }
  }

  /// The inputs of the candidate digits the number reader's judge weighs (a number's, or a
  /// wide picture's pieces): the tail of `inputs`; empty when there are none or no judge.
  public var judgeInputs: ArraySlice<Float> {
    guard numbers.judge != nil else { return [] }
    switch stage {
    case .answered, .digit, .wide: return []
    case .number(let candidates), .maybeSeveral(_, _, let candidates): return candidates.inputs[...]
    }
  }

  /// Whether it keeps the picture's ink map (a number's candidates, a wide digit): what a
  /// prepared picture holds beyond its network inputs.
  var holdsInkMap: Bool {
    switch stage {
    case .answered, .digit: return false
    case .number, .maybeSeveral, .wide: return true
    }
  }

  /// Whether a wide digit (`prepare`'s `deferPieces`) is unsure enough, by the probabilities
  /// of its `inputs`, that its pieces must be read too (`PictureReader.sureWhole`).
  public func needsPieces(_ probabilities: [Float]) -> Bool {
    guard case .wide = stage else { return false }
    return (probabilities.max() ?? 0) < PictureReader.sureWhole
  }

  /// A wide digit with its pieces laid out: their inputs follow the digit's in `inputs`.
  /// Any other picture is returned as it is.
  public func withPieces() -> PreparedPicture {
    guard case .wide(let pixels, let box, let map, let parts) = stage else { return self }
    guard let candidates = numbers.severalCandidates(map, parts: parts) else {
      return PreparedPicture(.digit(pixels, box), numbers: numbers)
    }
    return PreparedPicture(.maybeSeveral(pixels, box, candidates), numbers: numbers)
  }

  /// The answer from the (calibrated) probabilities of `inputs`, n * classes values; below
  /// `minConfidence` a single digit is "unsure". A number's digits are always named: the
  /// number is the answer. `verdict`: the judge's on `judgeInputs` when the caller asked it
  /// for many pictures at once; nil: the judge is asked here.
  public func answer(probabilities: [Float], verdict: PieceJudge.Verdict? = nil, minConfidence: Double) -> PictureAnswer
  {
    switch stage {
    case .answered(let answer):
      return answer
    case .digit(let pixels, let box), .wide(let pixels, let box, _, _):
      return .digit(.init(pixels: pixels, probabilities: probabilities, box: box, minConfidence: minConfidence))
    case .number(let candidates):
      return .number(
        numbers.choose(candidates, probabilities: probabilities, verdict: verdict, minConfidence: minConfidence))
    case .maybeSeveral(let pixels, let box, let candidates):
      let classes = probabilities.count / count
      let whole = Array(probabilities[..<classes])
      let reading = numbers.choose(candidates, probabilities: Array(probabilities[classes...]), verdict: verdict)
      let several = Self.readsAsSeveral(
        whole: Double(whole.max() ?? 0), pieces: reading.digits.map { Double($0.confidence) },
        minConfidence: minConfidence)
      return .digit(
        .init(
          pixels: pixels, probabilities: whole, box: box, minConfidence: minConfidence,
          several: several ? reading.number : nil))
    }
  }

  /// Whether a wide picture is several digits: its reading has two or more, unless the whole
  /// picture is a very confident digit (0.99, or the threshold if higher) at least as
  /// probable as the reading's digits together. A wide 0 or 5 splits into pieces that each
  /// look like a digit; a real number read as one digit is rarely that sure. Measured on
  /// 10,000 enlarged MNIST test digits and 1,000 pairs of them (gaps of -4 to 6 px): single
  /// digits taken for several fell from 135 to 14, pairs found from 762 to 739. A whole read
  /// at `sureWhole` or above is one digit whatever its pieces say.
  public static func readsAsSeveral(whole: Double, pieces: [Double], minConfidence: Double) -> Bool {
    guard pieces.count >= 2, whole < Double(PictureReader.sureWhole) else { return false }
    let together = pieces.reduce(1, *)
    return !(whole >= max(minConfidence, 0.99) && whole >= together)
  }
}

/// What a picture holds: the answer `digits predict` prints and the server sends.
public enum PictureAnswer: Sendable {
  /// One digit, which may be unsure or turn out to be several digits.
  case digit(Digit)
  /// Too little ink for a digit; `note` says why.
  case blank(note: String)
  /// Several digits read left to right (`multi`).
  case number(NumberReader.Reading)

  /// A box in the source picture's pixels.
  public typealias Box = (x: Int, y: Int, width: Int, height: Int)

  public struct Digit: Sendable {
    /// The 784 inputs the network saw.
    public let pixels: [Float]
    /// 10 calibrated probabilities.
    public let probabilities: [Float]
    public let box: Box?
    /// The digit, or unsure below the threshold.
    public let answer: DigitAnswer
    /// Set when the picture holds several digits: them, read as a number.
    public let several: String?

    public init(pixels: [Float], probabilities: [Float], box: Box?, minConfidence: Double, several: String? = nil) {
      self.pixels = pixels
      self.probabilities = probabilities
      self.box = box
      self.answer = DigitAnswer(probabilities[...], minConfidence: minConfidence)
      self.several = several
    }

    /// The likeliest digit and its probability, answered or not.
    public var best: (index: Int, probability: Float) { DigitClassifier.ranked(probabilities[...])[0] }
  }
}
