import DigitsCore
import Foundation

/// `digits predict` without the process: reads named pictures (files, or the bytes of
/// standard input) with a classifier, a chunk at a time: each chunk is decoded and prepared
/// on every core, then classified in one batch, and its answers handed on in input order.
/// Not thread-safe (it drives one `DigitClassifier`).
public final class PicturePredictor {
  /// One input, before decoding.
  public enum Source: Sendable {
    case file(String)
    /// Bytes read by the caller (standard input: one image file, or raw 28x28 arrays).
    case data(String, Data)
    /// An input known to be unreadable before decoding (a folder that cannot be listed).
    case failed(String, String)
  }

  /// One picture's answer, or why it could not be read.
  public enum Outcome: Sendable {
    case answered(String, PictureAnswer)
    case failed(String, String)

    public var name: String {
      switch self {
      case .answered(let name, _), .failed(let name, _): return name
      }
    }
  }

  public let classifier: DigitClassifier
  public let reader: PictureReader
  /// Read each picture as a number of several digits.
  public let multi: Bool
  /// Inputs decoded at once: each holds at most one decoded picture while it is prepared (a
  /// phone photo is ~50 MB as Floats), then only the network's inputs (and a wide digit's ink
  /// map until its pieces are read).
  public var chunk = 128
  /// Network inputs classified so far, and the seconds the forward passes took (not decoding
  /// or preparing).
  public private(set) var forwardImages = 0
  public private(set) var forwardSeconds = 0.0

  /// `reader` nil: the usual one, reading numbers only when the classifier's classes are the
  /// digits, with `judge` weighing their candidates.
  public init(classifier: DigitClassifier, multi: Bool = false, reader: PictureReader? = nil, judge: PieceJudge? = nil)
  {
    self.classifier = classifier
    self.multi = multi
    self.reader =
      reader
      ?? PictureReader(
        readsDigits: classifier.classNames == DatasetKind.mnist.classNames, layout: classifier.layout, judge: judge)
  }

  /// The sources the command line names: files, folders searched for pictures, and `-` for
  /// `standardInput`.
  public static func sources(_ inputs: [String], standardInput: () -> Data) -> [Source] {
    var sources: [Source] = []
    for input in inputs {
      if input == "-" {
        sources.append(.data("-", standardInput()))
        continue
      }
      for entry in ImageFiles.expand([input]) {
        switch entry {
        case .file(let path): sources.append(.file(path))
        case .problem(let path, let message): sources.append(.failed(path, DigitsError.file(path, message).description))
        }
      }
    }
    return sources
  }

  /// Reads every source, in order, handing each answer to `each` as soon as its batch is done.
  /// Pictures are decoded and prepared a chunk at a time, and classified once they hold a
  /// full batch of network inputs (the network is fastest on whole batches), or a chunk's
  /// worth of ink maps.
  /// Throws when the network fails (an OpenCL fault), never answering with a faulted device's zeros.
  public func read(_ sources: [Source], each: (Outcome) throws -> Void) throws {
    var pending: [Prepared] = [], inputs = 0, maps = 0, start = 0
    while start < sources.count {
      let batch = Array(sources[start..<min(sources.count, start + chunk)])
      start += batch.count
      let prepared = Self.prepareAll(batch, reader: reader, multi: multi)
      for case .success(_, let picture) in prepared {
        inputs += picture.count
        if picture.holdsInkMap { maps += 1 }
      }
      pending += prepared
      if inputs >= classifier.batchSize || maps >= chunk || start == sources.count {
        try answer(pending, each: each)
        (pending, inputs, maps) = ([], 0, 0)
      }
    }
  }

  /// Classifies prepared pictures together, reads the pieces of the wide ones that are not a
  /// sure digit, and hands on the answers in order.
  func answer(_ prepared: [Prepared], each: (Outcome) throws -> Void) throws {
    var pictures = prepared.map { item -> PreparedPicture? in
      if case .success(_, let picture) = item { return picture }
      return nil
    }
    var probabilities = try classify(pictures.map { $0?.inputs ?? [] })
    let unsure = pictures.indices.filter { pictures[$0]?.needsPieces(probabilities[$0]) == true }
    if !unsure.isEmpty {
      let widened = Self.concurrentMap(unsure.map { pictures[$0]! }) { $0.withPieces() }
      let pieces = try classify(widened.map { Array($0.inputs.dropFirst(MNISTShape.pixels)) })
      for (k, i) in unsure.enumerated() {
        pictures[i] = widened[k]
        probabilities[i] += pieces[k]
      }
    }
    let verdicts = judgeAll(pictures.map { $0?.judgeInputs ?? [] })
    for (i, item) in prepared.enumerated() {
      switch item {
      case .failure(let name, let message):
        try each(.failed(name, message))
      case .success(let name, _):
        let answer = pictures[i]!.answer(
          probabilities: probabilities[i], verdict: verdicts[i], minConfidence: classifier.minConfidence)
        try each(.answered(name, answer))
      }
    }
  }

  /// Each picture's probabilities for its `inputs`, from one forward pass over them all.
  func classify(_ inputs: [[Float]]) throws -> [[Float]] {
    let all = Array(inputs.joined())
    let clock = ContinuousClock(), started = clock.now
    let probabilities = all.isEmpty ? [] : try classifier.classify(all)
    let elapsed = (clock.now - started).components
    forwardSeconds += Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    forwardImages += all.count / MNISTShape.pixels
    return Self.split(probabilities, by: inputs.map { $0.count / MNISTShape.pixels * classifier.network.classes })
  }

  /// The judge's verdicts on every picture's candidate digits, in one call: asked a picture
  /// at a time, its network ran on a few candidates per call. nil for a picture without any.
  func judgeAll(_ inputs: [ArraySlice<Float>]) -> [PieceJudge.Verdict?] {
    let all = Array(inputs.joined())
    guard let judge = reader.judge, !all.isEmpty else { return inputs.map { _ in nil } }
    let verdict = judge.verdict(all)
    var start = 0
    return inputs.map { picture in
      let count = picture.count / MNISTShape.pixels
      defer { start += count }
      return count == 0 ? nil : verdict[start..<(start + count)]
    }
  }

  /// `values` cut into consecutive pieces of the given sizes.
  static func split(_ values: [Float], by sizes: [Int]) -> [[Float]] {
    var start = 0
    return sizes.map { size in
      defer { start += size }
      return Array(values[start..<(start + size)])
    }
  }

  /// `transform` of each element, on every core, in order.
  static func concurrentMap<T: Sendable, U>(_ items: [T], _ transform: @Sendable (T) -> U) -> [U] {
    var out = [U?](repeating: nil, count: items.count)
    out.withUnsafeMutableBufferPointer { buffer in
      nonisolated(unsafe) let slots = buffer
      DispatchQueue.concurrentPerform(iterations: items.count) { k in slots[k] = transform(items[k]) }
    }
    return out.map { $0! }
  }

  /// `read`, collecting the answers.
  public func read(_ sources: [Source]) throws -> [Outcome] {
    var out: [Outcome] = []
    try read(sources) { out.append($0) }
    return out
  }

  enum Prepared: Sendable {
    case success(String, PreparedPicture)
    case failure(String, String)
  }

  /// Decodes and prepares a chunk on every core, keeping the order.
  static func prepareAll(_ sources: [Source], reader: PictureReader, multi: Bool) -> [Prepared] {
    concurrentMap(sources) { source in
      decode(source).map { picture -> Prepared in
        switch picture {
        case .failure(let name, let message): return .failure(name, message)
        case .success(let name, let image):
          return .success(name, reader.prepare(image, multi: multi, deferPieces: true))
        }
      }
    }.flatMap { $0 }
  }

  enum Decoded {
    case success(String, GrayImage)
    case failure(String, String)
  }

  /// Decodes one input. Standard input holds one image file or raw 28x28 arrays; several
  /// arrays are named -[0], -[1], ...
  static func decode(_ source: Source) -> [Decoded] {
    switch source {
    case .failed(let name, let message):
      return [.failure(name, message)]
    case .file(let path):
      do { return [.success(path, try ImageDecoder.read(path: path))] } catch { return [.failure(path, "\(error)")] }
    case .data(let name, let data):
      do {
        let images = try RawInput.images(data, name: "standard input")
        return images.count == 1
          ? [.success(name, images[0])]
          : images.enumerated().map { .success("\(name)[\($0.offset)]", $0.element) }
      } catch {
        return [.failure(name, "\(error)")]
      }
    }
  }
}
