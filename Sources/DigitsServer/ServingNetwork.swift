import DigitsCore
import DigitsVision

/// The network as the server's batches call it. A call may throw (the GPU lost, a device
/// out of memory); the server then answers 500 to that batch's requests and moves to its
/// fallback network. Tests inject a failing one, so the fallback is tested without a GPU.
public protocol ServingNetwork: AnyObject {
  /// `inputs` holds n * 784 values; returns n * 10 probabilities.
  func classify(_ inputs: [Float]) throws -> [Float]
}

extension DigitClassifier: ServingNetwork {}

/// Why a batch got no answer: the network failed. Its text goes to the log, never to clients.
struct NetworkFailure: Error, CustomStringConvertible {
  let description: String
}
