import CPUBackend
import DefaultModel
import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// `digits predict` reads a wide digit's pieces only when the whole is not a sure digit
/// (`PictureReader.sureWhole`); the answers must be the ones the server gets, which lays out
/// every wide picture's pieces at once.
@Suite struct WidePictureTests {
  /// MNIST test digits stretched to twice their width (dark on light), and pairs of them
  /// side by side, touching.
  static func pictures() -> [GrayImage] {
    let set = MNISTSamples.test
    var out: [GrayImage] = []
    for i in MNISTSamples.spread(40) {
      let ink = MNISTSamples.ink(set, i)
      out.append(
        GrayImage(width: 56, height: 28, pixels: (0..<(56 * 28)).map { 1 - ink[($0 / 56) * 28 + $0 % 56 / 2] }))
    }
    for i in MNISTSamples.spread(20, offset: 7) {
      let left = MNISTSamples.ink(set, i), right = MNISTSamples.ink(set, (i + 1) % set.count)
      // 20 columns apart: the digits' 20-pixel boxes touch or overlap a little.
      out.append(
        GrayImage(
          width: 48, height: 28,
          pixels: (0..<(48 * 28)).map { p in
            let y = p / 48, x = p % 48
            let a = x < 28 ? left[y * 28 + x] : 0, b = x >= 20 ? right[y * 28 + x - 20] : 0
            return 1 - max(a, b)
          }))
    }
    return out
  }

  @Test func piecesAreReadOnlyWhenTheWholeIsUnsureAndAnswersAreTheSame() throws {
    let classifier = DigitClassifier(model: try DefaultModel.load(), backend: CPUBackend.make(threads: 1))
    let predictor = PicturePredictor(classifier: classifier, judge: try DefaultModel.judge())
    let pictures = Self.pictures()
    let sources = pictures.enumerated().map {
      PicturePredictor.Source.data("\($0.offset)", StrokeDrawing.png($0.element))
    }
    let lazy = try predictor.read(sources)
    var eagerInputs = 0, several = 0
    for (k, picture) in pictures.enumerated() {
      // The server's way: every wide picture's pieces laid out with it, one picture a call.
      let prepared = predictor.reader.prepare(picture, multi: false)
      eagerInputs += prepared.count
      let eager = prepared.answer(
        probabilities: try classifier.classify(prepared.inputs), minConfidence: classifier.minConfidence)
      guard case .answered(_, .digit(let read)) = lazy[k], case .digit(let expected) = eager else {
        Issue.record("picture \(k): \(lazy[k]) against \(eager)")
        continue
      }
      // The same answer; the last bits differ (the network ran on other batches).
      #expect(read.several == expected.several && read.answer.digit == expected.answer.digit, "picture \(k)")
      if read.several != nil { several += 1 }
    }
    // Some wide digits were sure (their pieces skipped), some pairs were not (pieces read).
    #expect(predictor.forwardImages > pictures.count && predictor.forwardImages < eagerInputs)
    #expect(several >= 10, "\(several) of 20 pairs read as several digits")
  }

  /// A whole read at `sureWhole` or above is one digit, even when its pieces together are
  /// likelier still.
  @Test func aSureWholeIsOneDigitWhateverItsPieces() {
    let sure = Double(PictureReader.sureWhole)
    #expect(!PreparedPicture.readsAsSeveral(whole: sure, pieces: [1, 1], minConfidence: 0.87))
    #expect(PreparedPicture.readsAsSeveral(whole: sure - 0.001, pieces: [1, 1], minConfidence: 0.87))
  }
}
