import DigitsCore
import OpenCLBackend
import Testing
import _TestSupport

/// One op on host inputs, run the same way on every backend: tensors of `shapes` are made
/// from `values`, `op` runs, and the tensors listed in `outputs` are downloaded and compared
/// under their tolerance (`DerivedTolerance`, the bounds every check uses).
struct OpCase {
  struct Output {
    let index: Int
    let name: String
    let tolerance: Tolerance
  }

  let label: String
  var shapes: [[Int]]
  var values: [[Float]]
  var outputs: [Output]
  let op: (any Backend, [Tensor]) -> Void

  func run(on backend: any Backend) -> [[Float]] {
    let tensors = zip(shapes, values).map { shape, values in backend.makeTensor(shape, values: values) }
    op(backend, tensors)
    return outputs.map { backend.download(tensors[$0.index]) }
  }

  /// Runs on the Float64 reference and on `backend`; records one issue per output that
  /// disagrees (shape/count first, then values) with the reference.
  func check(
    on backend: any Backend, against reference: any Backend = ReferenceBackend(),
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let expected = run(on: reference)
    let observed = run(on: backend)
    for (k, output) in outputs.enumerated() {
      let what = "\(label) \(output.name) on \(backend.name) vs \(reference.name)"
      if let report = output.tolerance.mismatches(observed[k], expected[k], label: what) {
        Issue.record(Comment(rawValue: report), sourceLocation: sourceLocation)
      }
    }
  }
}

extension TestRandom {
  /// Values on a grid of quarters in [-1, 1], so max pooling and ReLU see ties and zeros.
  mutating func coarse(_ count: Int) -> [Float] {
    (0..<count).map { _ in (uniform(-1, 1) * 4).rounded() / 4 }
  }
}
