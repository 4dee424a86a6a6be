import ArgumentParser
import DigitsCore
import DigitsDownload
import Foundation

extension Digits {
  struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fetch MNIST, Fashion-MNIST or an EMNIST split and check their SHA-256.",
      discussion: """
        Each file is fetched from the mirrors in turn (a mirror that is down or serves a bad
        copy is skipped), checked against the SHA-256 built into digits, and only then moved
        into place. Files already there and correct are kept. An interrupted download is
        resumed by running the command again.

        EMNIST comes as one 562 MB archive holding every split: it is fetched and checked
        the same way, the split asked for is copied out (four IDX files and its mapping)
        and the archive is removed.

        Examples:
          digits download                              # MNIST into ~/.cache/digits/mnist
          digits download --dataset fashion            # into ~/.cache/digits/fashion-mnist
          digits download --dataset emnist-letters     # into ~/.cache/digits/emnist-letters
          digits download --to data --mirror https://example.org/mnist/
        Mirrors: --mirror (repeatable), else $\(DatasetSource.mirrorsVariable) (comma or space
        separated), else the built-in list.
        """)

    @Option(
      help: ArgumentHelp(
        "Folder to write the files to.",
        discussion: "Default: ~/.cache/digits/<data set> (mnist, fashion-mnist, emnist-letters...).")
    )
    var to: String?

    @Option(help: "Data set: mnist, fashion or emnist-{digits,letters,balanced,bymerge,byclass,mnist}.")
    var dataset: NamedDataset = .idx(.mnist)

    @Option(
      name: .customLong("mirror"),
      help: ArgumentHelp("Base URL to fetch from; repeat to try several in order.", valueName: "url"))
    var mirrors: [String] = []

    @Option(help: "Tries per mirror after a dropped connection or a timeout.")
    var tries = 3

    func validate() throws {
      guard tries >= 1 else { throw ValidationError("--tries must be 1 or more, got \(tries)") }
      if let to, to.isEmpty { throw ValidationError("--to must name a folder") }
    }

    func run() throws {
      let progress = DownloadProgress()
      switch dataset {
      case .idx(let kind):
        let directory = to ?? kind.defaultDirectories()[0]
        var source = DatasetSource.builtIn(kind)
        source.mirrors = try DatasetSource.mirrors(options: mirrors, kind: kind)
        var downloader = Downloader(source: source, directory: directory)
        downloader.attemptsPerMirror = tries
        try downloader.run(events: progress.show)
        Console.line("\(kind.rawValue): all four files verified in \(directory)")
      case .emnist(let split):
        let directory = to ?? split.defaultDirectory()
        var downloader = EMNISTDownloader(
          split: split, directory: directory,
          mirrors: try DatasetSource.mirrors(options: mirrors, defaults: EMNISTArchive.mirrors))
        downloader.transfer.attemptsPerMirror = tries
        try downloader.run(events: progress.show)
        Console.line("\(split.datasetName): four IDX files and the class mapping in \(directory)")
      }
    }
  }
}

/// Prints what the downloader does: a live line per file on a terminal, otherwise one line
/// per start, failure and finished file.
final class DownloadProgress {
  let live = Console.stderrIsTerminal
  var started = DispatchTime.now().uptimeNanoseconds
  var startBytes: Int64 = 0
  var host = ""

  func show(_ event: DownloadEvent) {
    switch event {
    case .verified(let file):
      Console.note("\(file): already present, SHA-256 ok, skipped")
    case .present(let folder):
      Console.note("\(folder): already holds the data set, nothing fetched")
    case .badCopy(let file):
      Console.note("\(file): the copy here fails the SHA-256 check; fetching it again")
    case .started(let file, let mirror, let offset):
      started = DispatchTime.now().uptimeNanoseconds
      startBytes = offset
      host = mirror.host ?? mirror.absoluteString
      if !live {
        Console.note(
          "\(file): fetching from \(mirror.absoluteString)"
            + (offset > 0 ? " (resuming at \(Self.megabytes(offset)))" : ""))
      }
    case .progress(let file, let received, let expected):
      guard live else { return }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
      let rate = seconds > 0.2 ? Double(received - startBytes) / seconds : 0
      var line = "\r\u{1B}[K\(file) "
      if let expected, expected > 0 {
        let width = 24
        let filled = min(width, Int(Double(width) * Double(received) / Double(expected)))
        line += "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "] "
        line += "\(Self.megabytes(received)) of \(Self.megabytes(expected))"
      } else {
        line += Self.megabytes(received)
      }
      if rate > 0 { line += String(format: "  %.1f MB/s", rate / 1e6) }
      Console.progress(line + "  from \(host)")
    case .failed(let file, let mirror, let reason):
      if live { Console.progress("\r\u{1B}[K") }
      Console.note("\(file): \(mirror.absoluteString): \(reason)")
    case .installed(let file, let path):
      if live { Console.progress("\r\u{1B}[K") }
      Console.note("\(file): SHA-256 ok, wrote \(path)")
    }
  }

  static func megabytes(_ bytes: Int64) -> String {
    bytes < 1_000_000 ? String(format: "%.0f kB", Double(bytes) / 1e3) : String(format: "%.1f MB", Double(bytes) / 1e6)
  }
}
