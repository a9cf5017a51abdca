import Foundation
import Testing

/// `vfs export` checks every host path before it writes: a tree whose host paths would pass
/// PATH_MAX fails with ENAMETOOLONG and leaves nothing behind, never a partial tree.
@Suite struct ExportCheckTests {
    let directory = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(state: directory.path + "/state") }

    @Test func anExportThatWouldPassPathMaxWritesNothing() throws {
        let deep = String(repeating: "/abcdefghi", count: 408)  // 4080 bytes of VFS path
        let write = try cli.run(["vfs", "write", deep + "/f"], stdin: Data("x".utf8))
        #expect(write.status == 0, "\(write.stderr)")
        #expect(try cli.run(["vfs", "write", "/small"], stdin: Data("y".utf8)).status == 0)
        let target = directory.path + "/out"
        let export = try cli.run(["vfs", "export", "/", target])
        #expect(export.status != 0)
        #expect(export.stderr.contains("ENAMETOOLONG"), "\(export.stderr)")
        #expect(export.stderr.contains("nothing was written"), "\(export.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
        // The part that fits exports as usual.
        let small = try cli.run(["vfs", "export", "/small", target])
        #expect(small.status == 0, "\(small.stderr)")
        #expect(try String(contentsOfFile: target + "/small", encoding: .utf8) == "y")
    }
}
