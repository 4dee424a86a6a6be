import DigitsCore
import DigitsVision
import Foundation
import Testing
import _TestSupport

/// The `best` recipe's augmentation, and `digits train --recipe best` end to end.
@Suite struct AugmentationTests {
  static func batch(_ n: Int) -> [Float] {
    (0..<n).flatMap { MNISTSamples.ink(MNISTSamples.training, $0) }
  }

  @Test func deterministicAndInRange() {
    var a = Self.batch(64), b = a
    var r1 = SeededGenerator(seed: 3), r2 = SeededGenerator(seed: 3)
    Augmentation.best.apply(&a, count: 64, rng: &r1)
    Augmentation.best.apply(&b, count: 64, rng: &r2)
    #expect(a == b)
    #expect(a.allSatisfy { $0 >= 0 && $0 <= 1 })
    #expect(a != Self.batch(64))
    // Each image keeps a digit's worth of ink.
    for i in 0..<64 {
      let ink = a[(i * 784)..<((i + 1) * 784)].reduce(0, +)
      #expect(ink > 20 && ink < 400, "image \(i): ink \(ink)")
    }
  }

  @Test func recipeBestFromTheCommandLine() throws {
    let dir = TemporaryDirectory()
    let out = dir.path + "/m.safetensors"
    let r = try CLIRunner.run([
      "train", "--recipe", "best", "--epochs", "1", "--limit", "256", "--validation", "none",
      "--backend", "cpu", "--data", TestData.mnistPath, "--out", out,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let model = try ModelFile.read(path: out)
    #expect(model.facts?.recipe == "best")
    #expect(model.history.count == 1)
  }
}
