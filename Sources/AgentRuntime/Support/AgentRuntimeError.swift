import Foundation
import StateStore
import Storage
import VFS

/// The one error type of the agent runtime: what failed, why, in words a user can act on.
///
/// `code` is stable and machine-readable (it appears in `--json` output and transcripts);
/// `message` is for people and never contains a secret.
public struct AgentRuntimeError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Codable {
        /// The caller passed something invalid (a bad session key, model reference, name...).
        case invalidArgument = "invalid_argument"
        /// The session, provider, model, profile or skill does not exist.
        case notFound = "not_found"
        /// The thing exists already (a skill uploaded without `force`).
        case alreadyExists = "already_exists"
        /// No credential is available for the provider.
        case missingCredentials = "missing_credentials"
        /// The provider refused the credential (HTTP 401/403).
        case authentication
        /// Every credential hit the provider's rate limit.
        case rateLimited = "rate_limited"
        /// The provider answered with an error or a body we cannot read.
        case provider
        /// The provider could not be reached (connection refused, reset, DNS).
        case connection
        /// The provider did not answer in time.
        case timeout
        /// The run was aborted.
        case aborted
        /// The process running the run ended (killed) before the run did; recorded on the next
        /// start.
        case interrupted
        /// The idempotency key's run is still in flight; it was not started again.
        case inFlight = "in_flight"
        /// The run reached its turn limit.
        case turnLimit = "turn_limit"
        /// A limit was exceeded (attachments, output sizes).
        case limitExceeded = "limit_exceeded"
        /// A secret reference could not be resolved.
        case secretUnavailable = "secret_unavailable"
        /// The state databases failed.
        case storage
        /// A state database cannot be used: corrupt, written by a newer openclaw, or another
        /// agent's file. Nothing was changed.
        case unusableDatabase = "unusable_database"
        /// The state is on read-only media (or opened read-only): nothing can be written.
        case readOnly = "read_only"
        /// The agent is not placed on this host (its lease is held elsewhere, or it was released):
        /// its database is neither opened nor written here.
        case notPlaced = "not_placed"
    }

    /// The kind of failure.
    public var code: Code
    /// A message for people. Never contains a secret.
    public var message: String
    /// The HTTP status of a provider failure, if any.
    public var httpStatus: Int?
    /// The POSIX errno of a storage, state or VFS failure (`ENOENT` for a missing file), kept
    /// through the layers so a tool result, the CLI and the gateway can say it.
    public var errno: Int32?
    /// What to do about it, when there is something to do (the CLI prints it on a `hint:` line).
    public var hint: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, httpStatus: Int? = nil, errno: Int32? = nil, hint: String? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.errno = errno
        self.hint = hint
    }

    public var description: String { message }

    /// Wraps storage, state and VFS failures; passes runtime errors through.
    public static func wrap(_ error: any Error) -> AgentRuntimeError {
        switch error {
        case let error as AgentRuntimeError: return error
        case let error as VFSError:
            return AgentRuntimeError(error.isDamage ? .unusableDatabase : code(for: error.errno), error.description, errno: error.errno)
        case let error as StorageError:
            let unusable = error.code == .newerSchema || error.code == .identityMismatch || error.code == .corrupt || error.code == .integrityCheckFailed
            return AgentRuntimeError(unusable ? .unusableDatabase : error.errno == EROFS ? .readOnly : .storage, error.description, errno: error.errno)
        case let error as StateError:
            return AgentRuntimeError(code(for: error.errno), error.message, errno: error.errno)
        case is CancellationError: return AgentRuntimeError(.aborted, "the run was aborted")
        default: return AgentRuntimeError(.storage, String(describing: error))
        }
    }

    /// The code of a failure known by its errno alone.
    static func code(for errno: Int32) -> Code {
        switch errno {
        case ENOENT: .notFound
        case EINVAL, ENAMETOOLONG, EILSEQ: .invalidArgument
        case EEXIST: .alreadyExists
        case EROFS: .readOnly
        case EDQUOT, EFBIG: .limitExceeded
        default: .storage
        }
    }
}
