import Foundation
import StateStore
import Testing

@Suite struct TarReaderTests {
    /// One ustar member: a header with a valid checksum, then the padded contents.
    static func member(_ name: String, _ contents: String, type: UInt8 = UInt8(ascii: "0")) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte } }
        put(name, at: 0)
        put("0000644", at: 100)
        put(String(format: "%011o", contents.utf8.count), at: 124)
        header[156] = type
        put("ustar", at: 257)
        put("00", at: 263)
        for index in 148..<156 { header[index] = 0x20 }
        put(String(format: "%06o", header.reduce(0) { $0 + Int($1) }) + "\0", at: 148)
        var body = Array(contents.utf8)
        body += [UInt8](repeating: 0, count: (512 - body.count % 512) % 512)
        return header + body
    }

    static func archive(_ members: [[UInt8]]) -> Data { Data(members.flatMap { $0 } + [UInt8](repeating: 0, count: 1024)) }

    @Test func filesAndDirectoriesAreReadAndUnsafePathsRefused() throws {
        let members = try TarReader.members(of: Self.archive([Self.member("skill/", "", type: UInt8(ascii: "5")), Self.member("skill/./SKILL.md", "# hi\n"),
                                                              Self.member("skill/link", "", type: UInt8(ascii: "2"))]))
        #expect(members.map(\.path) == ["skill", "skill/SKILL.md", "skill/link"])
        #expect(members[1].contents == Data("# hi\n".utf8))
        #expect(members[2].kind == .other("2"))
        for unsafe in ["../escape", "/etc/passwd", "a/../../b"] {
            #expect(throws: StateError.self, "\(unsafe)") { try TarReader.members(of: Self.archive([Self.member(unsafe, "x")])) }
        }
        var corrupt = Self.member("a", "x")
        corrupt[0] = UInt8(ascii: "b")
        #expect(throws: StateError.self) { try TarReader.members(of: Self.archive([corrupt])) }
        let truncated = Data(Self.member("a", String(repeating: "y", count: 2000)).prefix(700))
        #expect(throws: StateError.self) { try TarReader.members(of: truncated) }
    }
}
