import CSystemShims
import Foundation
import NIOPosix

/// Where synchronous work goes when async code needs it: never onto a Swift concurrency thread,
/// which a server shares with every socket it serves.
///
/// Two lanes of threads (NIO's thread pools): `tools` for the agent's tools, whose work is CPU
/// bound and may take seconds (a grep over a large workspace), and `storage` for short synchronous
/// database calls (catalog, profiles, opening a database). A slow tool never delays another
/// run's bookkeeping. The tools' threads leave one core to the rest of the process and run at a
/// lower priority (nice 10), so a busy workspace never starves the threads serving sockets. Transcript appends do not come here: they use GRDB's async writes, which
/// queue without holding a thread.
enum BlockingWork {
    /// The tools' lane: one thread fewer than cores (at least one).
    static let toolThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(1, ProcessInfo.processInfo.activeProcessorCount - 1))
        pool.start()
        return pool
    }()

    /// The storage lane: a few threads, for calls that wait more than they compute.
    static let storageThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    /// The nice value of the tools' threads.
    static let toolNice: Int32 = 10

    /// Runs `body` on a thread of the tools' lane and returns its result.
    static func tool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await toolThreads.runIfActive {
            _ = openclaw_set_thread_nice(toolNice)
            return try body()
        }
    }

    /// Runs `body` on a thread of the storage lane and returns its result.
    static func storage<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await storageThreads.runIfActive(body)
    }
}
