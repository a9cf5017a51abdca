import Foundation

/// An error of replication: bad settings, the object store, Litestream, or a lease held elsewhere.
///
/// Matched by code, as `StorageError` is: `catch let error as ReplicationError where error.code == .ownedElsewhere`.
public struct ReplicationError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The settings are invalid (a replica URL, a host id, an endpoint).
        case invalidSettings = "INVALID_SETTINGS"
        /// The object store could not be reached or answered an error.
        case objectStore = "OBJECT_STORE"
        /// A conditional write failed: somebody else changed the object first.
        case preconditionFailed = "PRECONDITION_FAILED"
        /// The agent's lease is held by another gateway.
        case ownedElsewhere = "OWNED_ELSEWHERE"
        /// The Litestream binary is missing or one of its commands failed.
        case litestream = "LITESTREAM"
        /// The state directory cannot be replicated (a rollback-journal filesystem).
        case unsupportedFilesystem = "UNSUPPORTED_FILESYSTEM"
    }

    public var code: Code
    public var message: String
    /// What to do about it, for a person.
    public var hint: String?
    /// The owner's advertised URL, for ``Code/ownedElsewhere``.
    public var ownerURL: String?
    /// The owner's host id, for ``Code/ownedElsewhere``.
    public var owner: String?

    public init(_ code: Code, _ message: String, hint: String? = nil, owner: String? = nil, ownerURL: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.owner = owner
        self.ownerURL = ownerURL
    }

    public var description: String { message }
}

