import DigitsCore
import Foundation

/// The ways of writing a digit that the stroke generator knows: MNIST's plain forms and the
/// conventions MNIST's American writers rarely used (a `1` with a long flag and a foot, a
/// crossed `7`, an open `4`, a curled `9`, a looped `2`), which the seed model misreads.
public enum DigitConvention: String, CaseIterable, Sendable {
  case zero
  case onePlain = "one-plain"
  case oneFlag = "one-flag"
  case oneFlagFoot = "one-flag-foot"
  case oneSerif = "one-serif"
  case twoPlain = "two-plain"
  case twoLoop = "two-loop"
  case three
  case fourClosed = "four-closed"
  case fourOpen = "four-open"
  case five
  case six
  case sevenPlain = "seven-plain"
  case sevenCrossbar = "seven-crossbar"
  case eight
  case nineStraight = "nine-straight"
  case nineCurled = "nine-curled"

  /// The digit this convention writes.
  public var digit: Int {
    switch self {
    case .zero: return 0
    case .onePlain, .oneFlag, .oneFlagFoot, .oneSerif: return 1
    case .twoPlain, .twoLoop: return 2
    case .three: return 3
    case .fourClosed, .fourOpen: return 4
    case .five: return 5
    case .six: return 6
    case .sevenPlain, .sevenCrossbar: return 7
    case .eight: return 8
    case .nineStraight, .nineCurled: return 9
    }
  }

  /// The pen strokes of one drawing, before slant, warp and rendering.
  func strokes(_ pen: inout PenPath) -> [PenStroke] {
    typealias L = PenPath
    switch self {
    case .zero:
      let start = pen.u(-1.9, -1.3)
      return [
        L.arc(
          pen.p(0.5, 0.5), SIMD2(pen.u(0.26, 0.4), pen.u(0.44, 0.5)), from: start, to: start + 2 * .pi + pen.u(0, 0.4))
      ]
    case .onePlain:
      return [L.line(pen.p(0.5, 0), pen.p(0.5, 1))]
    case .oneFlag, .oneFlagFoot:
      // The flag: a long up-stroke into the top, steeper than a 7's bar (slope 0.5...1.6).
      let top = pen.p(0.62, 0)
      let run = pen.u(0.22, 0.45), rise = run * pen.u(0.5, 1.6)
      var strokes = [L.line(top - SIMD2(run, -rise), top, pen.p(0.6, 1))]
      if self == .oneFlagFoot {
        let half = pen.u(0.15, 0.32)
        strokes.append(L.line(pen.p(0.6 - half, 1), pen.p(0.6 + half, 1)))
      }
      return strokes
    case .oneSerif:
      let top = pen.p(0.55, 0)
      let run = pen.u(0.1, 0.2), rise = run * pen.u(0.5, 1.2)
      var strokes = [L.line(top - SIMD2(run, -rise), top, pen.p(0.55, 1))]
      if pen.chance(0.8) { strokes.append(L.line(pen.p(0.3, 1), pen.p(0.8, 1))) }
      return strokes
    case .twoPlain, .twoLoop:
      let rx = pen.u(0.28, 0.36), ry = pen.u(0.22, 0.3)
      let bowl = L.arc(pen.p(0.5, ry), SIMD2(rx, ry), from: pen.u(0.95, 1.1) * .pi, to: pen.u(2.15, 2.35) * .pi)
      let corner = pen.p(0.18, 0.96)
      let end = pen.p(0.88, 0.98)
      guard self == .twoLoop else { return [L.join(bowl, L.line(bowl.last!, corner, end))] }
      // The loop at the bottom left: down past the corner, round clockwise, then off to the right.
      let r = pen.u(0.07, 0.12)
      let loopCentre = corner + SIMD2(r * 0.2, -r * 0.9)
      let loop = L.arc(loopCentre, SIMD2(r * 1.1, r), from: 0.6 * .pi, to: 2.5 * .pi)
      return [L.join(bowl, L.line(bowl.last!, loop[0]), loop, L.line(loop.last!, end))]
    case .three:
      let mid = pen.p(0.45, 0.5)
      let upper = L.arc(SIMD2(0.48, mid.y / 2), SIMD2(pen.u(0.24, 0.32), mid.y / 2), from: 1.1 * .pi, to: 2.5 * .pi)
      let lower = L.arc(
        SIMD2(0.48, (1 + mid.y) / 2), SIMD2(pen.u(0.3, 0.36), (1 - mid.y) / 2), from: 1.5 * .pi,
        to: pen.u(2.75, 2.95) * .pi)
      return [L.join(upper, lower)]
    case .fourClosed:
      let x = pen.u(0.6, 0.72), bar = pen.u(0.6, 0.72)
      return [L.line(pen.p(x, 0), pen.p(0.08, bar), pen.p(0.92, bar)), L.line(pen.p(x, 0), pen.p(x, 1))]
    case .fourOpen:
      let bar = pen.u(0.5, 0.65), x = pen.u(0.62, 0.75)
      return [
        L.line(pen.p(0.22, 0), pen.p(0.16, bar), pen.p(0.92, bar)), L.line(pen.p(x, pen.u(0, 0.25)), pen.p(x, 1)),
      ]
    case .five:
      let top = pen.p(0.3, 0), neck = pen.p(0.26, pen.u(0.38, 0.48))
      let r = SIMD2(pen.u(0.3, 0.36), (1 - neck.y) / 2)
      let bowl = L.arc(SIMD2(0.46, neck.y + r.y), r, from: 1.3 * .pi, to: pen.u(2.75, 2.95) * .pi)
      return [L.join(L.line(top, neck, bowl[0]), bowl), L.line(top, pen.p(0.82, 0))]
    case .six:
      let r = SIMD2(pen.u(0.26, 0.34), pen.u(0.22, 0.28))
      let centre = SIMD2<Float>(0.5, 1 - r.y)
      let loop = L.arc(centre, r, from: .pi, to: 3 * .pi + pen.u(-0.2, 0.2))
      let start = pen.p(0.72, 0)
      let sweep = L.arc(
        SIMD2(start.x, loop[0].y), SIMD2(start.x - loop[0].x, loop[0].y - start.y), from: 1.5 * .pi, to: 1 * .pi)
      return [L.join(sweep, loop)]
    case .sevenPlain, .sevenCrossbar:
      let a = pen.p(0.12, 0), b = pen.p(0.88, 0), c = pen.p(pen.u(0.3, 0.45), 1)
      var strokes = [L.line(a, b, c)]
      if self == .sevenCrossbar {
        let y = pen.u(0.42, 0.58), t = y
        let x = b.x + (c.x - b.x) * t
        let half = pen.u(0.17, 0.27)
        strokes.append(L.line(pen.p(x - half, y), pen.p(x + half, y)))
      }
      return strokes
    case .eight:
      let waist = pen.u(0.4, 0.5)
      return [
        L.arc(pen.p(0.5, waist / 2), SIMD2(pen.u(0.2, 0.28), waist / 2), from: 0, to: 2 * .pi),
        L.arc(pen.p(0.5, (1 + waist) / 2), SIMD2(pen.u(0.26, 0.34), (1 - waist) / 2), from: 0, to: 2 * .pi),
      ]
    case .nineStraight, .nineCurled:
      let r = SIMD2(pen.u(0.26, 0.34), pen.u(0.2, 0.27))
      let centre = pen.p(0.45, r.y)
      let head = L.arc(centre, r, from: 0, to: 2 * .pi + pen.u(0, 0.3))
      let joint = centre + SIMD2(r.x, 0)
      guard self == .nineCurled else { return [L.join(head, L.line(joint, pen.p(joint.x - pen.u(0, 0.12), 1)))] }
      let curl = pen.u(0.18, 0.3)
      let bottom = L.arc(
        SIMD2(joint.x - curl, 1 - curl * 0.9), SIMD2(curl, curl * 0.9), from: 0, to: pen.u(0.75, 1) * .pi)
      return [L.join(head, L.line(joint, bottom[0]), bottom)]
    }
  }
}
