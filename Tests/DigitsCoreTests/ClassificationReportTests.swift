import DigitsCore
import Foundation
import Testing

@Suite struct ClassificationReportTests {
  @Test func countsAndScores() {
    // 3 classes; true labels 0,0,1,2; predictions 0,1,1,2.
    let probs: [Float] = [0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8]
    let r = ClassificationReport(labels: [0, 0, 1, 2], probabilities: probs, classNames: ["a", "b", "c"])
    #expect(r.confusion == [[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    #expect(r.accuracy == 0.75)
    #expect(r.perClass[0].precision == 1 && r.perClass[0].recall == 0.5 && r.perClass[0].support == 2)
    #expect(r.perClass[1].precision == 0.5 && r.perClass[1].recall == 1)
    #expect(abs(r.perClass[1].f1 - 2.0 / 3.0) < 1e-12)
    let expectedLoss = -(log(0.8) + log(0.2) + log(0.8) + log(0.8)) / 4
    #expect(abs(r.loss - expectedLoss) < 1e-6)
    #expect(r.text.contains("macro avg"))
  }
}
