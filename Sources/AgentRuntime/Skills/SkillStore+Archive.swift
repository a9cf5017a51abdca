import Foundation
import StateStore

extension SkillStore {
    /// Uploads a skill from a tar archive held in memory: its files (a SKILL.md at the root, or
    /// inside the archive's one top-level directory) become skill `slug`, as ``upload(directory:slug:force:)``
    /// does for a host directory. Links and devices in the archive are skipped and reported.
    public func upload(archive: Data, slug: String, force: Bool = false) throws -> (skill: SkillRecord, skipped: [String]) {
        try Self.validateSlug(slug)
        let members: [TarReader.Member]
        do { members = try TarReader.members(of: archive) } catch { throw AgentRuntimeError.wrap(error) }
        var root = ""
        if !members.contains(where: { $0.path == "SKILL.md" && $0.kind == .file }) {
            let tops = Set(members.map { String($0.path.split(separator: "/").first ?? "") })
            if tops.count == 1, let top = tops.first, members.contains(where: { $0.path == top + "/SKILL.md" && $0.kind == .file }) { root = top + "/" }
        }
        guard members.contains(where: { $0.path == root + "SKILL.md" && $0.kind == .file }) else {
            throw AgentRuntimeError(.invalidArgument, "the archive has no SKILL.md (at its root, or in its one top-level directory); a skill is a directory with a SKILL.md")
        }
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("openclaw-skill-\(RuntimeClock.uuid())").path
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var skipped: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            for member in members where member.path.hasPrefix(root) {
                let relative = String(member.path.dropFirst(root.count))
                guard !relative.isEmpty else { continue }
                let target = staging + "/" + relative
                switch member.kind {
                case .directory:
                    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                case .file:
                    try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    guard FileManager.default.createFile(atPath: target, contents: member.contents) else {
                        throw AgentRuntimeError(.storage, "cannot stage \(relative) of the archive")
                    }
                case .other(let type):
                    skipped.append("\(relative): not a file or directory (tar type \(type))")
                }
            }
        } catch let error as AgentRuntimeError {
            throw error
        } catch {
            throw AgentRuntimeError(.storage, "cannot stage the archive: \(error.localizedDescription)")
        }
        let (skill, more) = try upload(directory: staging, slug: slug, force: force)
        return (skill, skipped + more.map { $0.hasPrefix(staging + "/") ? String($0.dropFirst(staging.count + 1)) : $0 })
    }
}
