import Foundation

/// An error about the state directory's layout: a bad agent id or an unusable state root.
public struct StateError: Error, Sendable, CustomStringConvertible {
    /// The POSIX errno closest to the failure.
    public var errno: Int32
    /// What went wrong and what to do about it.
    public var message: String

    public init(_ errno: Int32, _ message: String) {
        self.errno = errno
        self.message = message
    }

    public var description: String { message }
}
