import Foundation
import Testing
import _TestSupport

/// Every command starts without the libraries only one command needs: libheif (HEIC
/// pictures), HDF5 (Keras .h5 import) and libcurl (download) are loaded with dlopen on first
/// use. Linked, they and what they pull in were 37 of the 64 libraries every start loaded.
@Suite struct StartupLibrariesTests {
  @Test func startLoadsNoLibraryThatOnlyOneCommandNeeds() throws {
    // glibc's loader names each library it looks for on standard error.
    let result = try CLIRunner.run(["--version"], environment: ["LD_DEBUG": "libs"])
    #expect(result.status == 0)
    #expect(result.stderr.contains("find library=libc.so.6"), "LD_DEBUG gave no list: \(result.stderr.prefix(300))")
    for name in ["libheif", "libde265", "libhdf5", "libcurl", "libFoundationNetworking"] {
      #expect(!result.stderr.contains("find library=\(name)"), "digits --version loads \(name)")
    }
  }
}
