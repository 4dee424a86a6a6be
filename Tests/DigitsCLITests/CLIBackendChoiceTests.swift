import Foundation
import Testing
import _TestSupport

/// Backend choice on a machine with no OpenCL driver at all: OCL_ICD_VENDORS points the
/// ICD loader at an empty folder, so it finds no platform.
@Suite struct CLIBackendChoiceTests {
  let dir = TemporaryDirectory()
  /// No OpenCL driver, on a machine that seems to have a GPU (a device file that exists), so
  /// that `auto` asks OpenCL.
  var noDrivers: [String: String] { ["OCL_ICD_VENDORS": dir.path, "DIGITS_GPU_DEVICE_FILES": dir.path] }

  /// Without any GPU device file, `auto` uses the CPU without loading OpenCL's drivers, and
  /// says so in one line.
  @Test func autoWithoutAGPUDeviceFileNeverLoadsOpenCL() throws {
    let r = try CLIRunner.run(
      [
        "train", "--data", TestData.mnistPath, "--limit", "256", "--epochs", "1",
        "--validation", "none", "--out", dir.path + "/nogpu.safetensors",
      ], environment: ["LD_DEBUG": "libs", "DIGITS_GPU_DEVICE_FILES": dir.path + "/no-such-device"])
    #expect(r.status == 0, "\(r.stderr)")
    let notes = r.stderr.split(separator: "\n").filter { $0.hasPrefix("using the CPU:") }
    #expect(notes.count == 1 && notes.first?.contains("no GPU device on this machine") == true, "\(r.stderr)")
    #expect(r.stderr.contains("find library=libc.so.6"), "LD_DEBUG gave no list")
    #expect(!r.stderr.contains("find library=libOpenCL"), "auto loaded the OpenCL loader without a GPU")
  }

  @Test func autoFallsBackToCPUWithOneLine() throws {
    let out = dir.path + "/auto.safetensors"
    let r = try CLIRunner.run(
      [
        "train", "--data", TestData.mnistPath, "--limit", "256", "--epochs", "1",
        "--validation", "none", "--out", out,
      ], environment: noDrivers)
    #expect(r.status == 0, "\(r.stderr)")
    let notes = r.stderr.split(separator: "\n").filter { $0.hasPrefix("using the CPU:") }
    #expect(notes.count == 1, "\(r.stderr)")
    #expect(notes.first?.contains("no OpenCL platforms") == true)
    #expect(FileManager.default.fileExists(atPath: out))
  }

  /// A few pictures under `auto` are read on the CPU without loading any OpenCL driver, on
  /// any machine: with drivers and no GPU `auto` used to say why it fell back, with a GPU it
  /// used that. (`predict --backend opencl` still loads them; `LD_DEBUG` shows which.)
  @Test func fewPicturesUnderAutoNeverLoadOpenCL() throws {
    let pictures = ["four.png", "seven.png"].map {
      TestData.packageRoot.appendingPathComponent("docs/examples/" + $0).path
    }
    let r = try CLIRunner.run(["predict"] + pictures, environment: ["LD_DEBUG": "libs"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("four.png: 4") && r.stdout.contains("seven.png: 7"), "\(r.stdout)")
    #expect(!r.stderr.contains("using the CPU:"), "\(r.stderr)")
    #expect(r.stderr.contains("find library=libc.so.6"), "LD_DEBUG gave no list")
    #expect(!r.stderr.contains("find library=libOpenCL"), "auto loaded the OpenCL loader for two pictures")
  }

  @Test func explicitOpenCLFailsClearly() throws {
    let r = try CLIRunner.run(
      ["train", "--data", TestData.mnistPath, "--backend", "opencl", "--out", dir.path + "/x.safetensors"],
      environment: noDrivers)
    #expect(r.status != 0)
    #expect(
      r.stderr.contains("--backend opencl: no OpenCL platforms") && r.stderr.contains("pocl-opencl-icd"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/x.safetensors"))
  }

  @Test func devicesListsNothingWithoutCrashing() throws {
    let r = try CLIRunner.run(["devices", "--json"], environment: noDrivers)
    #expect(r.status == 0, "\(r.stderr)")
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    #expect((object["devices"] as? [Any])?.isEmpty == true)
    #expect(object["auto"] as? String == "cpu")
  }

  @Test func deviceIndexOutOfRangeListsDevices() throws {
    let r = try CLIRunner.run([
      "train", "--data", TestData.mnistPath, "--device", "99", "--out", dir.path + "/y.safetensors",
    ])
    #expect(r.status != 0)
    #expect(r.stderr.contains("no OpenCL device 99") || r.stderr.contains("no OpenCL platforms"), "\(r.stderr)")
  }
}
