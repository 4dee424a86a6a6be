import DigitsCore
import Foundation
import FuzzDriver
import Hummingbird

@testable import DigitsServer

/// Who may teach the server: `LearningAccess.refusal` on the request's Host, Origin and
/// Authorization, for a server bound to the input's address, with and without a token.
/// Besides crashes, the target stops on an answer the rules forbid:
/// - a request let through whose Origin is neither absent nor `http(s)://` + its Host;
/// - one let through without exactly `Bearer <token>` when a token is set;
/// - a plain domain name (letters, digits, dots, dashes, an optional :port) let through
///   that is none of the allowed names (the loopback names and the address bound).
/// A refusal must be a 401 or 403.
///
/// Input framing: `host \n origin \n authorization \n bound address`; an empty line is an
/// absent header (Origin, Authorization) or no Host.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let bytes = start.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
  let lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
    .map { String(decoding: $0, as: UTF8.self) }
  func line(_ i: Int) -> String? { i < lines.count && !lines[i].isEmpty ? lines[i] : nil }
  let (host, origin, authorization, bound) = (line(0), line(1), line(2), line(3) ?? "127.0.0.1")
  for token in [nil, "0123456789abcdef0123456789abcdef"] {
    let access = LearningAccess(boundHost: bound, token: token)
    guard let refusal = access.refusal(authority: host, origin: origin, authorization: authorization) else {
      check(letThrough: host, origin: origin, authorization: authorization, bound: bound, token: token)
      continue
    }
    guard [401, 403].contains(refusal.status.code) else { fatalError("refused with \(refusal.status): \(refusal)") }
  }
  return 0
}

/// Stops the target when a request let through breaks one of the rules above.
func check(letThrough host: String?, origin: String?, authorization: String?, bound: String, token: String?) {
  guard let host else { fatalError("a request without Host was let through") }
  if let origin {
    let own = ["http://", "https://"].map { $0 + host.lowercased() }
    guard own.contains(origin.lowercased()) else { fatalError("foreign Origin \(origin) let through for Host \(host)") }
  }
  if let token, authorization != "Bearer " + token {
    fatalError("Authorization \(authorization ?? "absent") let through for token \(token)")
  }
  let plain = host.wholeMatch(of: /([A-Za-z0-9.\-]+)(:[0-9]*)?/)
  if let plain {
    let name = plain.1.lowercased()
    let allowed = ["localhost", "127.0.0.1", LearningAccess.hostName(bound)]
    guard allowed.contains(name) else { fatalError("Host \(host) let through on a server bound to \(bound)") }
  }
}

/// The program's entry (SwiftPM names it `FuzzLearningAccess_main` on Linux): libFuzzer's
/// driver, which parses the -flags and calls `fuzz` once per input.
@_cdecl("FuzzLearningAccess_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var (argc, argv) = (argc, Optional(argv))
  return LLVMFuzzerRunDriver(&argc, &argv) { fuzz($0, $1) }
}
