import Crypto
import Foundation

/// Limits on the files a parent hands to a subagent.
public struct AttachmentLimits: Sendable, Equatable {
    /// At most this many files (default 50).
    public var maxFiles: Int
    /// At most this many bytes per file, decoded (default 1 MiB).
    public var maxFileBytes: Int
    /// At most this many bytes in all (default 5 MiB).
    public var maxTotalBytes: Int

    /// Creates limits.
    public init(maxFiles: Int = 50, maxFileBytes: Int = 1 << 20, maxTotalBytes: Int = 5 << 20) {
        self.maxFiles = maxFiles
        self.maxFileBytes = maxFileBytes
        self.maxTotalBytes = maxTotalBytes
    }

    /// The defaults, overridden by `OPENCLAW_SUBAGENT_ATTACHMENTS_MAX_FILES`, `..._MAX_FILE_BYTES`
    /// and `..._MAX_TOTAL_BYTES`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AttachmentLimits {
        var limits = AttachmentLimits()
        func value(_ name: String) -> Int? { environment["OPENCLAW_SUBAGENT_ATTACHMENTS_" + name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
        if let files = value("MAX_FILES") { limits.maxFiles = files }
        if let bytes = value("MAX_FILE_BYTES") { limits.maxFileBytes = bytes }
        if let total = value("MAX_TOTAL_BYTES") { limits.maxTotalBytes = total }
        return limits
    }
}

/// One validated, decoded attachment.
struct PreparedAttachment: Sendable, Equatable {
    var name: String
    var content: Data
    var sha256: String
    var mimeType: String?
}

/// Validates and decodes `sessions_spawn` attachments.
enum SubagentAttachments {
    /// Where attachments land in the child's namespace.
    static let root = "/.openclaw/attachments"
    static let manifestName = ".manifest.json"

    static func prepare(_ value: JSONValue?, limits: AttachmentLimits) throws -> [PreparedAttachment] {
        guard let value, value != .null else { return [] }
        guard let items = value.arrayValue else { throw AgentRuntimeError(.invalidArgument, "attachments must be an array") }
        guard items.count <= limits.maxFiles else {
            throw AgentRuntimeError(.limitExceeded, "too many attachments: \(items.count) (at most \(limits.maxFiles))")
        }
        var names: Set<String> = []
        var total = 0
        var result: [PreparedAttachment] = []
        for (index, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue else { throw AgentRuntimeError(.invalidArgument, "attachment \(index + 1) has no name") }
            try validateName(name)
            guard names.insert(name).inserted else { throw AgentRuntimeError(.invalidArgument, "attachment name \(name.debugDescription) is used twice") }
            guard let content = item["content"]?.stringValue else { throw AgentRuntimeError(.invalidArgument, "attachment \(name.debugDescription) has no content string") }
            let encoding = item["encoding"]?.stringValue ?? "utf8"
            let data: Data
            switch encoding {
            case "utf8":
                guard content.utf8.count <= limits.maxFileBytes else {
                    throw AgentRuntimeError(.limitExceeded, "attachment \(name.debugDescription) is larger than \(limits.maxFileBytes) bytes")
                }
                data = Data(content.utf8)
            case "base64":
                data = try decodeBase64(content, name: name, maxBytes: limits.maxFileBytes)
            default:
                throw AgentRuntimeError(.invalidArgument, "attachment \(name.debugDescription): encoding must be utf8 or base64")
            }
            total += data.count
            guard total <= limits.maxTotalBytes else {
                throw AgentRuntimeError(.limitExceeded, "attachments are larger than \(limits.maxTotalBytes) bytes in all")
            }
            var mimeType: String?
            if let type = item["mimeType"], type != .null {
                guard let text = type.stringValue, (1...255).contains(text.utf8.count), text.contains("/"),
                      text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                    throw AgentRuntimeError(.invalidArgument, "attachment \(name.debugDescription): mimeType must look like type/subtype")
                }
                mimeType = text
            }
            let digest = SHA256.hex(data)
            result.append(PreparedAttachment(name: name, content: data, sha256: digest, mimeType: mimeType))
        }
        return result
    }

    /// No empty names, `/`, `\`, NUL or control characters; not `.`, `..` or the manifest's name.
    static func validateName(_ name: String) throws {
        let rule = "attachment names must be 1 to 255 bytes without '/', '\\\\', NUL or control characters, and not '.', '..' or '\(manifestName)'"
        guard (1...255).contains(name.utf8.count), name != ".", name != "..", name != manifestName,
              !name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) })
        else {
            throw AgentRuntimeError(.invalidArgument, "invalid attachment name \(name.debugDescription): \(rule)")
        }
    }

    /// Strict base64: whitespace removed, length bounded before decoding, alphabet and padding
    /// checked, size re-checked after.
    static func decodeBase64(_ text: String, name: String, maxBytes: Int) throws -> Data {
        let maxEncoded = (maxBytes + 2) / 3 * 4
        var compact: [UInt8] = []
        compact.reserveCapacity(min(text.utf8.count, maxEncoded + 4))
        for byte in text.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
            compact.append(byte)
            if compact.count > maxEncoded {
                throw AgentRuntimeError(.limitExceeded, "attachment \(name.debugDescription) is larger than \(maxBytes) bytes")
            }
        }
        func inAlphabet(_ byte: UInt8) -> Bool {
            (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 43 || byte == 47
        }
        let padding = compact.reversed().prefix { $0 == 61 }.count
        guard compact.count % 4 == 0, padding <= 2, compact.dropLast(padding).allSatisfy(inAlphabet),
              let data = Data(base64Encoded: Data(compact))
        else {
            throw AgentRuntimeError(.invalidArgument, "attachment \(name.debugDescription) is not valid base64")
        }
        guard data.count <= maxBytes else {
            throw AgentRuntimeError(.limitExceeded, "attachment \(name.debugDescription) is larger than \(maxBytes) bytes")
        }
        return data
    }

    /// The tool-call arguments with every attachment's content replaced by its size and digest,
    /// for the parent's transcript.
    static func redactedArguments(_ argumentsJSON: String) -> JSONValue {
        guard var object = (try? JSONValue.parse(argumentsJSON))?.objectValue else { return .string("[unparseable arguments]") }
        if let items = object["attachments"]?.arrayValue {
            object["attachments"] = .array(items.map { item in
                guard var fields = item.objectValue else { return item }
                if let content = fields["content"]?.stringValue {
                    // The digest of the decoded bytes, so it matches the child's manifest.
                    let bytes = fields["encoding"]?.stringValue == "base64"
                        ? Data(base64Encoded: content, options: .ignoreUnknownCharacters) ?? Data(content.utf8)
                        : Data(content.utf8)
                    let digest = SHA256.hex(bytes)
                    fields["content"] = .string("[redacted: \(bytes.count) bytes, sha256 \(digest)]")
                }
                return .object(fields)
            })
        }
        return .object(object)
    }
}
