import Crypto
import Foundation
import GRDB
import StateStore
import Storage
import VFS

/// An uploaded skill.
public struct SkillRecord: Sendable, Equatable {
    /// The skill's name: its directory in the `skills` namespace.
    public var slug: String
    /// The digest of the skill: SHA-256 over `path NUL sha256 LF` of every file, in path order.
    public var sha256: String
    /// The description from SKILL.md (front matter `description:`, else its first text line).
    public var description: String
    /// Files and bytes.
    public var fileCount: Int
    public var sizeBytes: Int64
    /// When it was uploaded.
    public var uploadedAtMilliseconds: Int64
}

/// Skills: directories with a SKILL.md in the agent's `skills` namespace, listed in the `skills`
/// table. An upload is one transaction: the files and the record appear together, replacing the
/// old version, or nothing changes.
public final class SkillStore: Sendable {
    /// The namespace of the skills, one of the agent's ``AgentRuntime/builtInNamespaces``.
    public static let namespaceName = "skills"

    /// The agent's VFS (its database also holds the `skills` table).
    public let fileSystem: VirtualFileSystem

    /// - parameter fileSystem: the VFS of an agent database opened with ``RuntimeSchema/agent``.
    public init(fileSystem: VirtualFileSystem) {
        self.fileSystem = fileSystem
    }

    /// Validates a slug: 1 to 64 characters a-z, 0-9, `-`, `_`, starting with a letter or digit.
    public static func validateSlug(_ slug: String) throws {
        guard Identifier.isValid(slug) else {
            throw AgentRuntimeError(.invalidArgument, "invalid skill slug \(slug.debugDescription): use 1 to 64 characters a-z, 0-9, '-' or '_', starting with a letter or digit")
        }
    }

    /// Uploads the host directory `directory` (which must hold a SKILL.md) as skill `slug`.
    /// - parameter force: replace an existing skill of that slug.
    /// - returns: the record and the host entries that were skipped (symbolic links, devices).
    public func upload(directory: String, slug: String, force: Bool = false) throws -> (skill: SkillRecord, skipped: [String]) {
        try Self.validateSlug(slug)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AgentRuntimeError(.notFound, "\(directory): no such directory")
        }
        let skillFile = (directory as NSString).appendingPathComponent("SKILL.md")
        let attributes = try? FileManager.default.attributesOfItem(atPath: skillFile)
        guard attributes?[.type] as? FileAttributeType == .typeRegular, let data = FileManager.default.contents(atPath: skillFile) else {
            throw AgentRuntimeError(.invalidArgument, "\(directory) has no SKILL.md file; a skill is a directory with a SKILL.md")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw AgentRuntimeError(.invalidArgument, "\(skillFile) is not UTF-8 text")
        }
        let description = Self.description(of: text)
        let namespace = try fileSystem.namespace(Self.namespaceName)
        let root = "/" + slug
        do {
            return try fileSystem.transaction { db in
                if try namespace.exists(root) {
                    guard force else { throw AgentRuntimeError(.alreadyExists, "skill '\(slug)' exists; upload with --force to replace it") }
                    _ = try namespace.remove(root, recursive: true)
                }
                let report = try namespace.importDirectory(directory, to: root)
                var hasher = SHA256()
                var files = 0
                var bytes: Int64 = 0
                try namespace.walk(root) { entry in
                    guard entry.kind == .file else { return }
                    let digest = try entry.sha256 ?? namespace.stat(entry.path).sha256 ?? ""
                    hasher.update(data: Data(entry.path.dropFirst(root.count + 1).utf8 + [0] + Array(digest.utf8) + [0x0A]))
                    files += 1
                    bytes += entry.size
                }
                let record = SkillRecord(slug: slug, sha256: hasher.finalize().hex, description: description,
                                         fileCount: files, sizeBytes: bytes, uploadedAtMilliseconds: RuntimeClock.milliseconds())
                try db.execute(sql: """
                    INSERT INTO skills (slug, sha256, description, file_count, size_bytes, uploaded_at_ms) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(slug) DO UPDATE SET sha256 = excluded.sha256, description = excluded.description, file_count = excluded.file_count,
                      size_bytes = excluded.size_bytes, uploaded_at_ms = excluded.uploaded_at_ms
                    """, arguments: [record.slug, record.sha256, record.description, record.fileCount, record.sizeBytes, record.uploadedAtMilliseconds])
                return (record, report.skipped.map { "\($0.path): \($0.reason)" })
            }
        } catch let error as VFSError {
            throw AgentRuntimeError(.storage, "upload of skill '\(slug)' failed, nothing was stored: \(error)")
        }
    }

    /// The uploaded skills, by slug.
    public func list() throws -> [SkillRecord] {
        try fileSystem.database.reading { db in try Self.list(db) }
    }

    /// The skills, read in an open transaction of the agent's database.
    static func list(_ db: Database) throws -> [SkillRecord] {
        // Every run lists them for its system prompt: read in place by column position.
        var skills: [SkillRecord] = []
        try db.forEachRow(allSkills) { row in
            skills.append(SkillRecord(slug: row.text(0), sha256: row.text(1), description: row.text(2), fileCount: Int(row.int64(3)),
                                      sizeBytes: row.int64(4), uploadedAtMilliseconds: row.int64(5)))
        }
        return skills
    }

    private static let allSkills = LookupQuery("SELECT slug, sha256, description, file_count, size_bytes, uploaded_at_ms FROM skills ORDER BY slug")

    /// Removes a skill (its files and its record) in one transaction.
    public func remove(_ slug: String) throws {
        try Self.validateSlug(slug)
        let namespace = try fileSystem.namespace(Self.namespaceName)
        try fileSystem.transaction { db in
            try db.execute(sql: "DELETE FROM skills WHERE slug = ?", arguments: [slug])
            guard db.changesCount > 0 else { throw AgentRuntimeError(.notFound, "no skill '\(slug)'") }
            if try namespace.exists("/" + slug) { _ = try namespace.remove("/" + slug, recursive: true) }
        }
    }

    /// The description: front matter `description:`, else the first line that is not a heading.
    static func description(of text: String) -> String {
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.first == "---", let end = lines.dropFirst().firstIndex(of: "---") {
            for line in lines[1..<end] where line.hasPrefix("description:") {
                var value = line.dropFirst("description:".count).trimmingCharacters(in: .whitespaces)
                if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote { value = String(value.dropFirst().dropLast()) }
                if !value.isEmpty { return String(value.prefix(300)) }
            }
            lines = Array(lines[(end + 1)...])
        }
        let line = lines.first { !$0.isEmpty && !$0.hasPrefix("#") } ?? lines.first { !$0.isEmpty }?.trimmingCharacters(in: CharacterSet(charactersIn: "# ")) ?? ""
        return String(line.prefix(300))
    }
}
