import Foundation

/// Sizes and limits of the VFS.
///
/// Each namespace may carry its own quota (see ``VirtualFileSystem/setQuota(_:_:)``); these are
/// the defaults for namespaces without one.
public struct VFSLimits: Sendable, Hashable {
    /// The largest file, in bytes (default 8 GiB). A larger write fails with `EFBIG`.
    public var maxFileBytes: Int64
    /// The default byte quota of a namespace; `nil` is unlimited. Exceeding it fails with `EDQUOT`.
    public var maxNamespaceBytes: Int64?
    /// The default entry quota of a namespace; `nil` is unlimited. Exceeding it fails with `EDQUOT`.
    public var maxNamespaceEntries: Int64?
    /// Files up to this size are stored inline in their content row; larger ones in chunks.
    public var inlineLimit: Int
    /// The size of a content chunk.
    public var chunkSize: Int
    /// A streamed write larger than this is staged in batches of this size, each in its own
    /// short transaction, and published by one final transaction. Smaller writes are one
    /// transaction from start to end.
    public var stagingBatchBytes: Int
    /// Whether reads check stored bytes against their checksums (default on). Off only to measure
    /// what the check costs (`openclaw-bench`, `OPENCLAW_VFS_VERIFY_CHECKSUMS=0`): damaged bytes
    /// are then served as they are.
    public var verifiesChecksums: Bool = true
    /// How long a content outlives its last entry (default 10 minutes): a reader that opened the
    /// old version of a rewritten or removed file (a ``VFSFileHandle``, a process on a FUSE
    /// mount) reads it whole for at least this long, then gets `ESTALE`, never mixed bytes.
    /// Zero frees a content with the write that drops its last entry. When space is short a
    /// removal frees released contents at once, whatever their age.
    public var releasedContentGrace: Duration = .seconds(600)

    public init(
        maxFileBytes: Int64 = 8 << 30,
        maxNamespaceBytes: Int64? = nil,
        maxNamespaceEntries: Int64? = nil,
        inlineLimit: Int = 16 << 10,
        chunkSize: Int = 64 << 10,
        stagingBatchBytes: Int = 8 << 20
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxNamespaceBytes = maxNamespaceBytes
        self.maxNamespaceEntries = maxNamespaceEntries
        self.inlineLimit = inlineLimit
        self.chunkSize = chunkSize
        let chunks = max(1, (stagingBatchBytes + chunkSize - 1) / chunkSize)
        self.stagingBatchBytes = chunks * chunkSize
    }

    /// Limits read from `OPENCLAW_VFS_MAX_FILE_BYTES`, `OPENCLAW_VFS_MAX_NAMESPACE_BYTES`,
    /// `OPENCLAW_VFS_MAX_NAMESPACE_ENTRIES`, `OPENCLAW_VFS_STAGING_BATCH_BYTES` and
    /// `OPENCLAW_VFS_RELEASED_GRACE_SECONDS`, with the defaults above for unset variables.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> VFSLimits {
        var limits = VFSLimits()
        if let value = environment["OPENCLAW_VFS_MAX_FILE_BYTES"].flatMap(Int64.init), value > 0 { limits.maxFileBytes = value }
        if let value = environment["OPENCLAW_VFS_MAX_NAMESPACE_BYTES"].flatMap(Int64.init), value > 0 { limits.maxNamespaceBytes = value }
        if let value = environment["OPENCLAW_VFS_MAX_NAMESPACE_ENTRIES"].flatMap(Int64.init), value > 0 { limits.maxNamespaceEntries = value }
        if environment["OPENCLAW_VFS_VERIFY_CHECKSUMS"] == "0" { limits.verifiesChecksums = false }
        if let value = environment["OPENCLAW_VFS_STAGING_BATCH_BYTES"].flatMap(Int.init), value > 0 {
            limits = VFSLimits(maxFileBytes: limits.maxFileBytes, maxNamespaceBytes: limits.maxNamespaceBytes,
                               maxNamespaceEntries: limits.maxNamespaceEntries, inlineLimit: limits.inlineLimit,
                               chunkSize: limits.chunkSize, stagingBatchBytes: value)
            limits.verifiesChecksums = environment["OPENCLAW_VFS_VERIFY_CHECKSUMS"] != "0"
        }
        if let value = environment["OPENCLAW_VFS_RELEASED_GRACE_SECONDS"].flatMap(Int64.init), value >= 0 {
            limits.releasedContentGrace = .seconds(value)
        }
        return limits
    }
}
