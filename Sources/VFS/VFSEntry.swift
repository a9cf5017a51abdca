import Foundation
import Storage

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
    /// do not load it. Kept as its 32 bytes and spelled out when read.
    public var sha256: String? {
        get { hash?.text }
        set { hash = newValue.map(Hash.init(text:)) }
    }
    /// The JSON metadata object, as text.
    public var metadataJSON: String
    /// The identity of the file's content version, when read from the database: two entries
    /// with the same id have the same bytes, and a rewrite gives a new id (ids are never reused).
    /// `nil` for directories. Not part of the JSON form.
    public var contentID: Int64?
    /// ``sha256`` as stored.
    var hash: Hash?

    /// A content hash: its 32 bytes when it is a SHA-256 (a `stat` then makes no string), else
    /// the text it was given. A 64-digit lowercase hex text is always held as bytes, so that two
    /// entries compare and hash alike exactly when their ``sha256`` texts do.
    enum Hash: Hashable, Sendable {
        case digest(Digest)
        case other(String)

        /// A SHA-256's 32 bytes as four words: a plain value, copied as its bytes (a
        /// `SIMD32<UInt8>` payload made every copy of an entry go through value witnesses).
        struct Digest: Hashable, Sendable {
            var words: (UInt64, UInt64, UInt64, UInt64)

            init(_ bytes: UnsafeRawBufferPointer) {
                words = bytes.loadUnaligned(as: (UInt64, UInt64, UInt64, UInt64).self)
            }

            static func == (left: Digest, right: Digest) -> Bool {
                left.words == right.words
            }

            func hash(into hasher: inout Hasher) {
                hasher.combine(words.0)
                hasher.combine(words.1)
                hasher.combine(words.2)
                hasher.combine(words.3)
            }
        }

        /// The hash of stored bytes: a digest when they are 32, else their hex.
        init(bytes: UnsafeRawBufferPointer) {
            self = bytes.count == 32 ? .digest(Digest(bytes)) : .other(Hex.lowercase(bytes))
        }

        /// The hash of stored bytes held in `Data`.
        init(bytes: Data) {
            self = bytes.withUnsafeBytes(Hash.init(bytes:))
        }

        init(text: String) {
            if text.utf8.count == 64, let bytes = Hex.bytes(lowercase: text) {
                self = bytes.withUnsafeBytes(Hash.init(bytes:))
            } else {
                self = .other(text)
            }
        }

        var text: String {
            switch self {
            case .digest(let digest): withUnsafeBytes(of: digest) { Hex.lowercase($0) }
            case .other(let text): text
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case path, kind, mode, size, mtimeNanoseconds, ctimeNanoseconds, sha256, metadataJSON
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(kind, forKey: .kind)
        try container.encode(mode, forKey: .mode)
        try container.encode(size, forKey: .size)
        try container.encode(mtimeNanoseconds, forKey: .mtimeNanoseconds)
        try container.encode(ctimeNanoseconds, forKey: .ctimeNanoseconds)
        try container.encodeIfPresent(sha256, forKey: .sha256)
        try container.encode(metadataJSON, forKey: .metadataJSON)
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

// The initializers live in an extension, so that the memberwise one stays synthesized.
extension VFSEntry {
    public init(path: String, kind: Kind, mode: UInt32, size: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64, sha256: String?, metadataJSON: String,
                contentID: Int64? = nil) {
        self.init(path: path, kind: kind, mode: mode, size: size, mtimeNanoseconds: mtimeNanoseconds, ctimeNanoseconds: ctimeNanoseconds,
                  hash: sha256.map(Hash.init(text:)), metadataJSON: metadataJSON, contentID: contentID)
    }

    /// An entry with its hash as stored, made by the synthesized memberwise initializer, which
    /// builds it in place: an initializer of the struct's own that set each field made the entry
    /// twice and copied it, with retains, on every `stat`.
    init(path: String, kind: Kind, mode: UInt32, size: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64, hash: Hash?,
         metadataJSON: String, contentID: Int64?) {
        self.init(path: path, kind: kind, mode: mode, size: size, mtimeNanoseconds: mtimeNanoseconds, ctimeNanoseconds: ctimeNanoseconds,
                  metadataJSON: metadataJSON, contentID: contentID, hash: hash)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(path: container.decode(String.self, forKey: .path), kind: container.decode(Kind.self, forKey: .kind),
                      mode: container.decode(UInt32.self, forKey: .mode), size: container.decode(Int64.self, forKey: .size),
                      mtimeNanoseconds: container.decode(Int64.self, forKey: .mtimeNanoseconds),
                      ctimeNanoseconds: container.decode(Int64.self, forKey: .ctimeNanoseconds),
                      sha256: container.decodeIfPresent(String.self, forKey: .sha256),
                      metadataJSON: container.decode(String.self, forKey: .metadataJSON))
    }
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
