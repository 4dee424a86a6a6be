import Foundation

/// The `--profile` report: time per op grouped by phase, then what one training step asked
/// of the device.
public struct ProfileTable: Sendable {
  public var ops: [OpTime]
  /// Counts over the steps of the training epochs (progress reads included), or nil when
  /// the run trained nothing (evaluate).
  public var stepCounters: DeviceCounters?
  public var steps: Int
  /// Everything counted over the run (set-up, validation and evaluation included).
  public var total: DeviceCounters?

  public init(ops: [OpTime], stepCounters: DeviceCounters? = nil, steps: Int = 0, total: DeviceCounters? = nil) {
    self.ops = ops
    self.total = total
    self.stepCounters = stepCounters
    self.steps = steps
  }

  public var text: String {
    let allSeconds = ops.reduce(0) { $0 + $1.seconds }
    var lines = ["op                              phase      calls    total ms    ms/call   share"]
    let sorted = ops.filter { $0.calls > 0 }.sorted { ($0.phase, -$0.seconds) < ($1.phase, -$1.seconds) }
    for phase in OpPhase.allCases {
      let rows = sorted.filter { $0.phase == phase }
      if rows.isEmpty { continue }
      for op in rows {
        lines.append(row(op.name, phase.rawValue, op.calls, op.seconds, allSeconds))
      }
      let sum = rows.reduce(0) { $0 + $1.seconds }
      lines.append(row("  all \(phase.rawValue)", "", rows.reduce(0) { $0 + $1.calls }, sum, allSeconds))
    }
    if let c = stepCounters, steps > 0 {
      let per = { (x: Int) in String(format: "%.2f", Double(x) / Double(steps)) }
      lines.append(
        "per training step (\(steps) steps): \(per(c.launches)) launches, \(per(c.fills)) fills, \(per(c.hostWaits)) host-blocking calls, "
          + "\(per(c.bytesUploaded)) bytes uploaded, \(per(c.bytesDownloaded)) bytes downloaded")
    }
    if let c = total {
      lines.append(
        "whole run: \(c.launches) launches, \(c.fills) fills, \(c.hostWaits) host-blocking calls, \(c.bytesUploaded) bytes uploaded, "
          + "\(c.bytesDownloaded) bytes downloaded")
    }
    return lines.joined(separator: "\n")
  }

  private func row(_ name: String, _ phase: String, _ calls: Int, _ seconds: Double, _ total: Double) -> String {
    let share = total > 0 ? 100 * seconds / total : 0
    return name.padding(toLength: 32, withPad: " ", startingAt: 0)
      + phase.padding(toLength: 8, withPad: " ", startingAt: 0)
      + String(
        format: "%8d %11.1f %10.3f %6.1f%%", calls, seconds * 1000, calls > 0 ? seconds * 1000 / Double(calls) : 0,
        share)
  }
}
