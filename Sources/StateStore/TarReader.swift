import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a POSIX ustar (or pax) archive held in memory: its regular files and directories, with
/// paths checked to stay inside the archive. Other members (links, devices) are reported, not
/// followed.
public enum TarReader {
    /// One member.
    public struct Member: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case file, directory, other(Character) }
        /// The relative path, `/`-separated, without `.` or `..` components.
        public var path: String
        public var kind: Kind
        public var contents: Data
    }

    /// The members, in archive order.
    /// - throws: `StateError` `EINVAL` for a malformed archive or an unsafe path.
    public static func members(of archive: Data, maxMembers: Int = 10_000) throws -> [Member] {
        let bytes = [UInt8](archive)
        var members: [Member] = []
        var offset = 0
        var paxPath: String?
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<offset + 512])
            if header.allSatisfy({ $0 == 0 }) { break }
            guard checksumMatches(header) else { throw failure("member \(members.count + 1) has a bad header checksum (not a tar archive?)") }
            let size = try octal(Array(header[124..<136]))
            let type = Character(UnicodeScalar(header[156]))
            let start = offset + 512
            guard size >= 0, start + size <= bytes.count else { throw failure("member \(members.count + 1) runs past the end of the archive") }
            let contents = Data(bytes[start..<start + size])
            offset = start + (size + 511) / 512 * 512
            if type == "x" {
                paxPath = paxRecords(contents)["path"]
                continue
            }
            if type == "g" { continue }
            var name = string(Array(header[0..<100]))
            if header[257..<262].elementsEqual(Array("ustar".utf8)) {
                let prefix = string(Array(header[345..<500]))
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            if let long = paxPath { name = long }
            paxPath = nil
            let path = try safePath(name)
            let kind: Member.Kind = switch type {
            case "0", "\0", "7": .file
            case "5": .directory
            default: .other(type)
            }
            if path.isEmpty, kind == .directory { continue }
            guard !path.isEmpty else { throw failure("a member has an empty name") }
            members.append(Member(path: path, kind: kind, contents: kind == .file ? contents : Data()))
            guard members.count <= maxMembers else { throw failure("the archive has more than \(maxMembers) members") }
        }
        return members
    }

    private static func failure(_ message: String) -> StateError { StateError(EINVAL, "invalid archive: " + message) }

    /// `a/./b/` is `a/b`; an absolute path or a `..` component is refused.
    static func safePath(_ name: String) throws -> String {
        guard !name.hasPrefix("/") else { throw failure("\(name.debugDescription) is an absolute path") }
        var parts: [Substring] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            guard part != ".." else { throw failure("\(name.debugDescription) leaves the archive") }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    private static func string(_ field: [UInt8]) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ field: [UInt8]) throws -> Int {
        let text = string(field).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        guard let value = Int(text.isEmpty ? "0" : text, radix: 8) else { throw failure("a size field is not octal") }
        return value
    }

    private static func checksumMatches(_ header: [UInt8]) -> Bool {
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 0x20 : Int(byte) }
        guard let stored = try? octal(Array(header[148..<156])) else { return false }
        return stored == sum
    }

    /// `<length> <key>=<value>\n` records.
    private static func paxRecords(_ data: Data) -> [String: String] {
        var records: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " "), let equals = line[space...].firstIndex(of: "=") else { continue }
            records[String(line[line.index(after: space)..<equals])] = String(line[line.index(after: equals)...])
        }
        return records
    }
}
