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
    }

    /// The kind of failure.
    public var code: Code
    /// A message for people. Never contains a secret.
    public var message: String
    /// The HTTP status of a provider failure, if any.
    public var httpStatus: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    public var description: String { message }

    /// Wraps storage, state and VFS failures; passes runtime errors through.
    public static func wrap(_ error: any Error) -> AgentRuntimeError {
        switch error {
        case let error as AgentRuntimeError: return error
        case let error as VFSError: return AgentRuntimeError(.storage, error.description)
        case let error as StorageError:
            let unusable = error.code == .newerSchema || error.code == .identityMismatch || error.code == .corrupt || error.code == .integrityCheckFailed
            return AgentRuntimeError(unusable ? .unusableDatabase : .storage, error.description)
        case let error as StateError: return AgentRuntimeError(error.errno == EINVAL ? .invalidArgument : .storage, error.message)
        case is CancellationError: return AgentRuntimeError(.aborted, "the run was aborted")
        default: return AgentRuntimeError(.storage, String(describing: error))
        }
    }
}
