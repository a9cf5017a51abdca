import Foundation

/// An error that stops a mount from starting or from being unmounted, with what to do about it.
public struct FuseMountError: Error, Sendable, CustomStringConvertible {
    /// The POSIX errno closest to the failure.
    public var errno: Int32
    /// The mount point concerned.
    public var mountPoint: String
    /// What went wrong and how to fix it.
    public var message: String

    public init(_ errno: Int32, _ mountPoint: String, _ message: String) {
        self.errno = errno
        self.mountPoint = mountPoint
        self.message = message
    }

    public var description: String { "mount \(mountPoint): \(message)" }
}
