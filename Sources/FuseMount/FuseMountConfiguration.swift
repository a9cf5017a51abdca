import Foundation

/// What to mount and how.
public struct FuseMountConfiguration: Sendable {
    /// What the root of the mount shows.
    public enum Root: Sendable, Hashable {
        /// One namespace is the root.
        case namespace(String)
        /// Every namespace of the database as a top-level directory named after it.
        case allNamespaces
    }

    /// The directory to mount on; must exist and be empty.
    public var mountPoint: String
    /// What the root shows.
    public var root: Root
    /// The source name shown in /proc/mounts (`openclaw:main`, ...).
    public var sourceName: String
    /// Let users other than the mounting one read the mount (`allow_other`).
    public var allowOther: Bool
    /// How long the kernel may cache entries, attributes and pages. Changes written by other
    /// processes are invalidated explicitly within ``pollInterval``, so this can be long.
    public var cacheTimeout: Double
    /// How often the change log is polled for changes written by other processes.
    public var pollInterval: Duration
    /// Worker threads serving requests.
    public var maxThreads: Int

    public init(mountPoint: String, root: Root, sourceName: String = "openclaw", allowOther: Bool = false,
                cacheTimeout: Double = 3600, pollInterval: Duration = .milliseconds(100), maxThreads: Int = 8) {
        self.mountPoint = mountPoint
        self.root = root
        self.sourceName = sourceName
        self.allowOther = allowOther
        self.cacheTimeout = cacheTimeout
        self.pollInterval = pollInterval
        self.maxThreads = maxThreads
    }
}
