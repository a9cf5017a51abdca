import CSystemShims
import Foundation
import NIOPosix

/// Where synchronous work goes when async code needs it: never onto a Swift concurrency thread,
/// which a server shares with every socket it serves.
///
/// Two lanes of threads (NIO's thread pools): `tools` for the agent's tools, whose work is CPU
/// bound and may take seconds (a grep over a large workspace), and `storage` for short synchronous
/// database calls (a run's start and its transcript appends, catalog, profiles, opening a
/// database). A slow tool never delays another run's bookkeeping. The tools' threads leave one
/// core to the rest of the process and run at a lower priority (nice 10), so a busy workspace
/// never starves the threads serving sockets.
///
/// The storage lane is also a task executor (``storageExecutor``): a run's task prefers it, so
/// the run's own database calls are made in place, on the thread it already runs on, without the
/// two thread switches a hop costs (GRDB's synchronous write runs on the calling thread when the
/// writer is free). Code not on the lane hops to it.
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

    /// Runs `body` on a thread of the storage lane and returns its result: in place when the
    /// caller already runs there.
    static func storage<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if isOnStorageLane { return try body() }
        return try await storageThreads.runIfActive(body)
    }

    /// The storage lane as a task executor: tasks that prefer it run their jobs on its threads.
    static let storageExecutor = StorageLaneExecutor(threads: storageThreads)

    /// Whether the current task runs on the storage lane, where synchronous database calls are
    /// allowed.
    static var isOnStorageLane: Bool {
        withUnsafeCurrentTask { task in task?.unownedTaskExecutor == storageExecutor.asUnownedTaskExecutor() }
    }
}

/// Runs the jobs of the tasks that prefer it on the threads of the storage lane.
final class StorageLaneExecutor: TaskExecutor {
    private let threads: NIOThreadPool

    init(threads: NIOThreadPool) {
        self.threads = threads
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        threads.submit { _ in job.runSynchronously(on: executor) }
    }
}
