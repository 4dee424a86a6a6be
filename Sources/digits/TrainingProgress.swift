import DigitsCore
import Foundation

/// Draws a live bar on a terminal (stderr) and prints one line per epoch (stdout).
final class TrainingProgress: TrainingObserver {
  let live = Console.stderrIsTerminal
  var epochStart = DispatchTime.now().uptimeNanoseconds
  /// The epoch and batch count of the first report of the epoch: reports come at most a few
  /// times a second (the trainer reads the device's statistics no more often), so the rate
  /// for the ETA is measured from there.
  var first = (epoch: -1, done: 0)

  func batchesDone(epoch: Int, epochs: Int, done: Int, total: Int, loss: Double, accuracy: Double) {
    guard live else { return }
    if epoch != first.epoch {
      first = (epoch, done)
      epochStart = DispatchTime.now().uptimeNanoseconds
    }
    let width = 30
    let filled = width * done / total
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
    let rate = done > first.done ? elapsed / Double(done - first.done) : 0
    let eta = rate * Double(total - done)
    let bar =
      String(repeating: "=", count: filled) + (filled < width ? ">" : "")
      + String(repeating: " ", count: max(0, width - filled - 1))
    Console.progress(
      String(
        format: "\r\u{1B}[Kepoch %d/%d [%@] %d/%d  loss %.4f  accuracy %.4f  ETA %.0fs",
        epoch + 1, epochs, bar, done, total, loss, accuracy, eta))
  }

  func epochDone(_ r: EpochRecord, epochs: Int) {
    if live { Console.progress("\r\u{1B}[K") }
    var line = String(format: "epoch %d/%d  loss %.4f  accuracy %.4f", r.epoch, epochs, r.loss, r.accuracy)
    if let vl = r.valLoss, let va = r.valAccuracy {
      line += String(format: "  val_loss %.4f  val_accuracy %.4f", vl, va)
    }
    line += String(format: "  %.1fs  %.0f images/s", r.seconds, r.imagesPerSecond)
    Console.line(line)
  }
}
