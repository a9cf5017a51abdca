import Foundation

/// A file or directory in a namespace.
public struct VFSEntry: Sendable, Hashable, Codable {
    /// What an entry is.
    public enum Kind: String, Sendable, Hashable, Codable {
        case file
        case directory
    }

    /// The canonical path.
    public var path: String
    /// File or directory.
    public var kind: Kind
    /// Permission bits (`0o644`, `0o755`, ...).
    public var mode: UInt32
    /// Size in bytes; 0 for directories.
    public var size: Int64
    /// Last content change, nanoseconds since the Unix epoch.
    public var mtimeNanoseconds: Int64
    /// Last change of content or attributes, nanoseconds since the Unix epoch.
    public var ctimeNanoseconds: Int64
    /// The SHA-256 of the content in lowercase hex; `nil` for directories and for listings that
    /// do not load it.
    public var sha256: String?
    /// The JSON metadata object, as text.
    public var metadataJSON: String
    /// The identity of the file's content version, when read from the database: two entries
    /// with the same id have the same bytes, and a rewrite gives a new id (ids are never reused).
    /// `nil` for directories. Not part of the JSON form.
    public var contentID: Int64?

    private enum CodingKeys: String, CodingKey {
        case path, kind, mode, size, mtimeNanoseconds, ctimeNanoseconds, sha256, metadataJSON
    }

    public init(path: String, kind: Kind, mode: UInt32, size: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64, sha256: String?, metadataJSON: String,
                contentID: Int64? = nil) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.ctimeNanoseconds = ctimeNanoseconds
        self.sha256 = sha256
        self.metadataJSON = metadataJSON
        self.contentID = contentID
    }

    /// The last path component.
    public var name: String {
        // The UTF-8 view, not `Character`s: a `/` followed by a combining mark is one `Character`.
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        let name = path.utf8[path.utf8.index(after: slash)...]
        return name.isEmpty ? "/" : String(name) ?? path
    }

    /// Whether this is a directory.
    public var isDirectory: Bool { kind == .directory }

    /// `mtimeNanoseconds` as a `Date`.
    public var modificationDate: Date { Date(timeIntervalSince1970: Double(mtimeNanoseconds) / 1e9) }
}

/// Totals of a subtree, from ``VFSNamespace/diskUsage(_:)``.
public struct DiskUsage: Sendable, Hashable, Codable {
    public var path: String
    /// Bytes of file content.
    public var bytes: Int64
    public var files: Int64
    public var directories: Int64
}

/// A namespace and its counters.
public struct NamespaceInfo: Sendable, Hashable, Codable {
    public var name: String
    public var entries: Int64
    public var bytes: Int64
    /// The namespace it was forked from, if any.
    public var forkedFrom: String?
    public var createdAtNanoseconds: Int64
    /// The namespace's own quotas; `nil` falls back to ``VFSLimits``.
    public var maxBytes: Int64?
    public var maxEntries: Int64?
    public var maxFileBytes: Int64?
}

/// The differences between two namespaces, from ``VirtualFileSystem/diff(_:_:)``.
public struct NamespaceDiff: Sendable, Hashable, Codable {
    /// Paths present only in the second namespace.
    public var added: [String]
    /// Paths present only in the first namespace.
    public var removed: [String]
    /// Paths present in both whose kind, content or mode differ.
    public var changed: [String]

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
}
