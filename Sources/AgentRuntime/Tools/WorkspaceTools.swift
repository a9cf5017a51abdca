import Foundation
import VFS
#if canImport(Glibc)
import Glibc
#endif

/// The file tools over the agent's VFS namespace: `read`, `write`, `edit`, `ls`, `find`, `grep`.
///
/// There is no host shell and no host filesystem: every path is a VFS path in the run's
/// namespace (relative paths start at `/`). Skills are visible read-only under
/// `/.openclaw/skills/<slug>/`. A failure comes back as a tool result naming the errno.
struct WorkspaceTools: Sendable {
    /// The VFS.
    let fileSystem: VirtualFileSystem
    /// The namespace the tools act on (`workspace`, or `run:<id>` for a subagent).
    let namespace: String

    /// Where skills appear to the agent.
    static let skillsMount = "/.openclaw/skills"

    /// Output bounds, so that one call cannot flood the model's context.
    static let maxReadLines = 2000
    static let maxOutputBytes = 256 * 1024
    static let maxGrepResults = 1000
    static let maxGrepLineCharacters = 300
    static let maxGrepFileBytes: Int64 = 8 << 20
    static let maxFindResults = 1000
    /// The largest file `read` and `edit` load (larger ones: EFBIG, read them in the workspace by other means).
    static let maxTextFileBytes: Int64 = 8 << 20
    /// How long one `grep` may search.
    static let grepTimeLimit: Duration = .seconds(10)

    static let definitions: [ToolDefinition] = [
        ToolDefinition(name: "read", description: "Read a UTF-8 text file. Lines are numbered from 1; use offset and limit for large files.", parameters: [
            "type": "object", "required": ["path"],
            "properties": ["path": ["type": "string", "description": "File path, e.g. notes/todo.md"],
                           "offset": ["type": "integer", "description": "First line to return (1-based)"],
                           "limit": ["type": "integer", "description": "Number of lines (default 2000)"]],
        ]),
        ToolDefinition(name: "write", description: "Create or replace a file with the given content. Parent directories are created.", parameters: [
            "type": "object", "required": ["path", "content"],
            "properties": ["path": ["type": "string"], "content": ["type": "string"]],
        ]),
        ToolDefinition(name: "edit", description: "Replace exactly one occurrence of oldText with newText in a file. oldText must match exactly once.", parameters: [
            "type": "object", "required": ["path", "oldText", "newText"],
            "properties": ["path": ["type": "string"], "oldText": ["type": "string"], "newText": ["type": "string"]],
        ]),
        ToolDefinition(name: "ls", description: "List a directory (default: the workspace root). Directories end with '/'.", parameters: [
            "type": "object", "properties": ["path": ["type": "string"]],
        ]),
        ToolDefinition(name: "find", description: "Find files whose name (or, when the pattern has a '/', whose path) matches a glob like *.md or src/**/*.swift.", parameters: [
            "type": "object", "required": ["pattern"],
            "properties": ["pattern": ["type": "string"], "path": ["type": "string", "description": "Directory to search (default /)"]],
        ]),
        ToolDefinition(name: "grep", description: "Search file contents with a regular expression. Returns path:line: text, at most maxResults matches.", parameters: [
            "type": "object", "required": ["pattern"],
            "properties": ["pattern": ["type": "string"], "path": ["type": "string", "description": "File or directory (default /)"],
                           "glob": ["type": "string", "description": "Only files whose name matches this glob"],
                           "ignoreCase": ["type": "boolean"], "maxResults": ["type": "integer", "description": "Default 100, at most 1000"]],
        ]),
    ]

    /// Runs one call. Never throws: failures are tool results.
    func execute(_ call: ToolCall) -> ToolOutcome {
        do {
            let arguments = try ToolArguments(tool: call.name, json: call.argumentsJSON)
            switch call.name {
            case "read": return try read(arguments)
            case "write": return try write(arguments)
            case "edit": return try edit(arguments)
            case "ls": return try list(arguments)
            case "find": return try find(arguments)
            case "grep": return try grep(arguments)
            default: return .failure("unknown tool '\(call.name)'")
            }
        } catch let error as ToolArgumentError {
            return .failure(error.message)
        } catch let error as VFSError {
            return .failure("\(error.with(operation: call.name))", ["errno": .string(error.errnoName), "path": .string(error.path)])
        } catch let error as AgentRuntimeError {
            return .failure("\(call.name): \(error.message)")
        } catch {
            return .failure("\(call.name): \(error)")
        }
    }

    // MARK: Paths

    /// A resolved tool path: the namespace it lives in and the path there.
    struct Target {
        var namespace: VFSNamespace
        var path: String
        var shown: String
        var readOnly: Bool
    }

    func resolve(_ raw: String, tool: String) throws -> Target {
        var text = raw.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || text == "." { text = "/" }
        if text.hasPrefix("./") { text.removeFirst(2) }
        if !text.hasPrefix("/") { text = "/" + text }
        let path = try VFSPath(text, operation: tool).string
        if path == Self.skillsMount || path.hasPrefix(Self.skillsMount + "/") {
            let inner = path == Self.skillsMount ? "/" : String(path.dropFirst(Self.skillsMount.count))
            return Target(namespace: try fileSystem.namespace(SkillStore.namespaceName), path: inner, shown: path, readOnly: true)
        }
        return Target(namespace: try fileSystem.namespace(namespace), path: path, shown: path, readOnly: false)
    }

    private func writable(_ target: Target, tool: String) throws {
        if target.readOnly { throw VFSError(EROFS, tool, target.shown, detail: "skills are read-only") }
    }

    private func text(of target: Target, tool: String) throws -> String {
        let size = try target.namespace.stat(target.path).size
        guard size <= Self.maxTextFileBytes else {
            throw VFSError(EFBIG, tool, target.shown, detail: "\(size) bytes; \(tool) loads files up to \(Self.maxTextFileBytes) bytes")
        }
        let data = try target.namespace.readFile(target.path)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw VFSError(EILSEQ, tool, target.shown, detail: "binary file (\(data.count) bytes); only UTF-8 text can be read")
        }
        return text
    }

    // MARK: Tools

    private func read(_ arguments: ToolArguments) throws -> ToolOutcome {
        let target = try resolve(try arguments.string("path"), tool: "read")
        let offset = try arguments.optionalInt("offset", range: 1...Int(Int32.max)) ?? 1
        let limit = try arguments.optionalInt("limit", range: 1...Self.maxReadLines) ?? Self.maxReadLines
        let content = try text(of: target, tool: "read")
        let lines = TextLines.split(content)
        let total = lines.count
        guard offset <= max(total, 1) else {
            return .failure("read \(target.shown): offset \(offset) is past the end (the file has \(total) lines)")
        }
        var output = ""
        var shown = 0
        for index in (offset - 1)..<min(total, offset - 1 + limit) {
            var line = "\(index + 1)\t\(lines[index])\n"
            if output.utf8.count + line.utf8.count > Self.maxOutputBytes {
                guard shown == 0 else { break }
                // One line longer than the whole budget: show its start, so the next offset moves on.
                line = "\(index + 1)\t" + String(decoding: Array(lines[index].utf8.prefix(Self.maxOutputBytes - 64)), as: UTF8.self)
                    + "… [line cut at \(Self.maxOutputBytes - 64) of \(lines[index].utf8.count) bytes]\n"
            }
            output += line
            shown += 1
        }
        let last = offset - 1 + shown
        if last < total { output += "[\(total - last) more lines; continue with offset \(last + 1)]\n" }
        return .success(output, ["path": .string(target.shown), "lines": .int(shown), "totalLines": .int(total)])
    }

    private func write(_ arguments: ToolArguments) throws -> ToolOutcome {
        let target = try resolve(try arguments.string("path"), tool: "write")
        try writable(target, tool: "write")
        let content = try arguments.string("content")
        let entry = try target.namespace.writeFile(target.path, contents: Data(content.utf8))
        return .success("wrote \(entry.size) bytes to \(target.shown)", ["path": .string(target.shown), "bytes": .int64(entry.size), "sha256": .optional(entry.sha256)])
    }

    private func edit(_ arguments: ToolArguments) throws -> ToolOutcome {
        let target = try resolve(try arguments.string("path"), tool: "edit")
        try writable(target, tool: "edit")
        let old = try arguments.string("oldText")
        let new = try arguments.string("newText")
        guard !old.isEmpty else { return .failure("edit: oldText must not be empty") }
        let content = try text(of: target, tool: "edit")
        let matches = content.ranges(of: old)
        guard matches.count == 1, let range = matches.first else {
            if matches.isEmpty { return .failure("edit \(target.shown): oldText was not found; read the file and copy the text exactly") }
            return .failure("edit \(target.shown): oldText matches \(matches.count) times; include more surrounding text so it matches once")
        }
        var updated = content
        updated.replaceSubrange(range, with: new)
        let entry = try target.namespace.writeFile(target.path, contents: Data(updated.utf8))
        let line = TextLines.lineNumber(of: range.lowerBound, in: content)
        return .success("edited \(target.shown) at line \(line)", ["path": .string(target.shown), "line": .int(line), "bytes": .int64(entry.size)])
    }

    private func list(_ arguments: ToolArguments) throws -> ToolOutcome {
        let target = try resolve(try arguments.optionalString("path") ?? "/", tool: "ls")
        var entries: [VFSEntry]
        do {
            entries = try target.namespace.list(target.path)
        } catch let error as VFSError where error.errno == ENOENT && target.shown == "/.openclaw" {
            // The namespace has no /.openclaw of its own; the skills mount still appears in it.
            entries = []
            if (try? fileSystem.namespace(SkillStore.namespaceName).list("/"))?.isEmpty != false { throw error }
        }
        var lines: [String] = []
        if target.shown == "/" || target.shown == "/.openclaw" {
            // The skills mount is not an entry of the namespace; show it where it appears.
            let skills = try? fileSystem.namespace(SkillStore.namespaceName).list("/")
            if target.shown == "/.openclaw", skills?.isEmpty == false { lines.append("skills/") }
            if target.shown == "/", skills?.isEmpty == false, !entries.contains(where: { $0.path == "/.openclaw" }) { lines.append(".openclaw/") }
        }
        let truncated = entries.count > Self.maxFindResults
        entries = Array(entries.prefix(Self.maxFindResults))
        for entry in entries {
            let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
            lines.append(entry.kind == .directory ? name + "/" : "\(name)\t\(entry.size)")
        }
        if truncated { lines.append("[more entries not shown]") }
        return .success(lines.isEmpty ? "(empty)" : lines.joined(separator: "\n"), ["path": .string(target.shown), "entries": .int(lines.count)])
    }

    /// Whether `name` matches the glob (`fnmatch`, where `*` also crosses `/` so `**/` works).
    static func globMatches(_ pattern: String, _ name: String) -> Bool {
        let simplified = pattern.replacingOccurrences(of: "**/", with: "*")
        return fnmatch(simplified, name, 0) == 0
    }

    private func find(_ arguments: ToolArguments) throws -> ToolOutcome {
        let pattern = try arguments.string("pattern")
        guard !pattern.isEmpty else { return .failure("find: pattern must not be empty") }
        let target = try resolve(try arguments.optionalString("path") ?? "/", tool: "find")
        let byPath = pattern.contains("/")
        var found: [String] = []
        var more = false
        try target.namespace.walk(target.path) { entry in
            guard entry.kind == .file, !more else { return }
            let shown = target.readOnly ? Self.skillsMount + entry.path : entry.path
            let relative = String(entry.path.dropFirst(target.path == "/" ? 1 : target.path.count + 1))
            let subject = byPath ? relative : (entry.path.split(separator: "/").last.map(String.init) ?? "")
            if Self.globMatches(pattern, subject) {
                if found.count == Self.maxFindResults { more = true } else { found.append(shown) }
            }
        }
        var text = found.isEmpty ? "no files match \(pattern)" : found.joined(separator: "\n")
        if more { text += "\n[more than \(Self.maxFindResults) matches; narrow the pattern]" }
        return .success(text, ["pattern": .string(pattern), "matches": .int(found.count)])
    }

    private func grep(_ arguments: ToolArguments) throws -> ToolOutcome {
        let pattern = try arguments.string("pattern")
        let ignoreCase = try arguments.optionalBool("ignoreCase") ?? false
        let maxResults = try arguments.optionalInt("maxResults", range: 1...Self.maxGrepResults) ?? 100
        let glob = try arguments.optionalString("glob")
        let target = try resolve(try arguments.optionalString("path") ?? "/", tool: "grep")
        var regex: Regex<AnyRegexOutput>
        do { regex = try Regex(pattern) } catch {
            return .failure("grep: invalid regular expression \(pattern.debugDescription): \(error)")
        }
        if ignoreCase { regex = regex.ignoresCase() }
        var results: [String] = []
        var bytes = 0
        var truncated = false
        var skipped = 0
        var stopped = false
        let deadline = ContinuousClock.now + Self.grepTimeLimit
        var files: [VFSEntry] = []
        try target.namespace.walk(target.path) { entry in
            guard entry.kind == .file else { return }
            if let glob, !Self.globMatches(glob, entry.path.split(separator: "/").last.map(String.init) ?? "") { return }
            files.append(entry)
        }
        try fileSystem.snapshot {
            for entry in files where !truncated {
                if entry.size > Self.maxGrepFileBytes { skipped += 1; continue }
                let data = try target.namespace.readFile(entry.path)
                guard let text = String(validating: data, as: UTF8.self) else { skipped += 1; continue }
                let shown = target.readOnly ? Self.skillsMount + entry.path : entry.path
                var number = 0
                for line in TextLines.split(text) {
                    number += 1
                    if number % 256 == 0, Task.isCancelled || ContinuousClock.now > deadline {
                        stopped = true
                        truncated = true
                        break
                    }
                    guard line.contains(regex) else { continue }
                    let clipped = line.count > Self.maxGrepLineCharacters ? line.prefix(Self.maxGrepLineCharacters) + "…" : line
                    let result = "\(shown):\(number): \(clipped)"
                    if results.count == maxResults || bytes + result.utf8.count > Self.maxOutputBytes {
                        truncated = true
                        break
                    }
                    results.append(result)
                    bytes += result.utf8.count + 1
                }
            }
        }
        var text = results.isEmpty ? "no matches for \(pattern.debugDescription)" : results.joined(separator: "\n")
        if stopped {
            text += "\n[search stopped after \(Self.grepTimeLimit) (or the run was aborted); narrow the path or the pattern]"
        } else if truncated {
            text += "\n[output truncated at \(results.count) matches; narrow the search]"
        }
        if skipped > 0 { text += "\n[\(skipped) binary or large file(s) skipped]" }
        return .success(text, ["pattern": .string(pattern), "matches": .int(results.count), "files": .int(files.count)])
    }
}
