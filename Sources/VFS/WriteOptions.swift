import Foundation

/// How ``VFSNamespace/writeFile(_:contents:options:)`` creates or replaces a file.
public struct WriteOptions: Sendable, Hashable {
    /// Permission bits; `nil` keeps an existing file's mode, or uses `0o644` for a new file.
    public var mode: UInt32?
    /// The modification time in nanoseconds since the epoch; `nil` is now.
    public var mtimeNanoseconds: Int64?
    /// A JSON object to store as the file's metadata; `nil` keeps the existing metadata (or `{}`).
    public var metadataJSON: String?
    /// Create missing parent directories (the default), or fail with `ENOENT` like `open(2)`.
    public var createParents: Bool
    /// Fail with `EEXIST` if the file exists, like `O_EXCL`.
    public var exclusive: Bool

    public init(mode: UInt32? = nil, mtimeNanoseconds: Int64? = nil, metadataJSON: String? = nil, createParents: Bool = true, exclusive: Bool = false) {
        self.mode = mode
        self.mtimeNanoseconds = mtimeNanoseconds
        self.metadataJSON = metadataJSON
        self.createParents = createParents
        self.exclusive = exclusive
    }

    /// Checks the metadata is a JSON object and returns it compacted.
    func validatedMetadata(_ operation: String, _ path: String) throws -> String? {
        guard let metadataJSON else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(metadataJSON.utf8)), object is [String: Any],
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else {
            throw VFSError(EINVAL, operation, path, detail: "metadata must be a JSON object")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
