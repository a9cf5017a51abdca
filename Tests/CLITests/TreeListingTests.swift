import Foundation
import Testing

/// `vfs ls -R` draws one tree per directory, keyed by bytes: canonically equivalent names stay apart.
@Suite struct TreeListingTests {
    let directory = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(state: directory.path + "/state") }

    @Test func equivalentDirectoryNamesKeepTheirOwnChildren() throws {
        #expect(try cli.run(["vfs", "write", "/dir\u{E9}/a"], stdin: Data("a".utf8)).status == 0)
        #expect(try cli.run(["vfs", "write", "/dire\u{301}/b"], stdin: Data("b".utf8)).status == 0)
        let tree = try cli.run(["vfs", "ls", "-R", "/"])
        #expect(tree.status == 0, "\(tree.stderr)")
        #expect(tree.stdout.contains("2 directories, 2 files"), "\(tree.stdout)")
        let lines = tree.stdout.split(separator: "\n").map(String.init)
        let nfc = try #require(lines.firstIndex { $0.utf8.elementsEqual("├── dir\u{E9}/".utf8) || $0.utf8.elementsEqual("└── dir\u{E9}/".utf8) }, "\(lines)")
        let nfd = try #require(lines.firstIndex { $0.utf8.elementsEqual("├── dire\u{301}/".utf8) || $0.utf8.elementsEqual("└── dire\u{301}/".utf8) }, "\(lines)")
        #expect(lines[nfc + 1].hasSuffix("a"), "\(lines)")
        #expect(lines[nfd + 1].hasSuffix("b"), "\(lines)")
    }
}
