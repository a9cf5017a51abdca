import CSystemShims
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The `litestream replicate` daemon of one gateway, as a service.
///
/// It writes the configuration, starts the daemon, restarts it when it dies (backing off up to
/// 30 s), and on graceful shutdown syncs every database (`litestream sync -wait`) before it
/// stops the daemon. The daemon is tied to the thread that supervises it: when the gateway dies,
/// even by SIGKILL, the kernel sends it SIGTERM (`PR_SET_PDEATHSIG`), so it never goes on writing
/// a replica that another gateway may own next.
///
/// Place it before the servers in the group: a group stops in reverse order, so the daemon
/// syncs after the gateway has drained its runs and closed its databases.
public final class LitestreamService: Service, Sendable {
    public let configuration: LitestreamConfiguration
    let litestream: Litestream
    let logger: Logger
    private let supervision = Mutex(Supervision())

    struct Supervision {
        var pid: pid_t = 0
        var stopping = false
        var starts = 0
    }

    public init(configuration: LitestreamConfiguration, litestream: Litestream, logger: Logger) {
        self.configuration = configuration
        self.litestream = litestream
        self.logger = logger
    }

    /// How many times the daemon was started (1 when it never died).
    public var starts: Int { supervision.withLock { $0.starts } }

    /// The daemon's pid, 0 between two starts.
    public var pid: pid_t { supervision.withLock { $0.pid } }

    public func run() async throws {
        try configuration.write()
        let (finished, done) = AsyncStream<Void>.makeStream()
        let thread = Thread { [self] in
            supervise()
            done.finish()
        }
        thread.name = "openclaw-litestream"
        thread.start()
        // Until the group shuts down (or is cancelled): then sync, and stop the daemon.
        try? await gracefulShutdown()
        await syncAll()
        let pid = supervision.withLock { state -> pid_t in
            state.stopping = true
            return state.pid
        }
        if pid > 0 { kill(pid, SIGTERM) }
        let killer = Task {
            try await Task.sleep(for: .seconds(10))
            let pid = self.pid
            if pid > 0 { kill(pid, SIGKILL) }
        }
        for await _ in finished {}
        killer.cancel()
        logger.info("litestream stopped")
    }

    /// Replicates every database now and waits for the replica to have it.
    public func syncAll() async {
        guard pid > 0 else { return }
        let socket = configuration.socketPath
        let databases: [String]
        do { databases = try await litestream.replicatedDatabases(socket: socket) } catch {
            logger.warning("litestream: cannot list its databases before stopping", metadata: ["error": .string(error.message)])
            return
        }
        for database in databases {
            do {
                _ = try await litestream.sync(database: database, socket: socket, timeoutSeconds: 10)
            } catch {
                logger.warning("litestream: the last sync failed", metadata: ["database": .string(database), "error": .string(error.message)])
            }
        }
    }

    /// The databases the daemon replicates now.
    public func replicatedDatabases() async throws(ReplicationError) -> [String] {
        try await litestream.replicatedDatabases(socket: configuration.socketPath)
    }

    /// Replicates one database now and waits for the replica to have it.
    public func sync(database: String) async throws(ReplicationError) -> Litestream.SyncResult {
        try await litestream.sync(database: database, socket: configuration.socketPath)
    }

    // MARK: The supervising thread

    /// Starts the daemon, waits for it, and starts it again until the service stops. Runs on its
    /// own thread: the daemon's death signal is tied to it, and `waitpid` blocks no task.
    private func supervise() {
        var backoff = 1.0
        while !supervision.withLock({ $0.stopping }) {
            let started = ContinuousClock.now
            let pid = spawn()
            guard pid > 0 else {
                logger.error("litestream could not start", metadata: ["error": .string(String(cString: strerror(errno))), "binary": .string(litestream.executable)])
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(30, backoff * 2)
                continue
            }
            let stopping = supervision.withLock { state -> Bool in
                state.pid = pid
                state.starts += 1
                return state.stopping
            }
            if stopping { kill(pid, SIGTERM) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            supervision.withLock { $0.pid = 0 }
            if supervision.withLock({ $0.stopping }) { break }
            if ContinuousClock.now - started > .seconds(60) { backoff = 1 }
            logger.error("litestream exited; restarting it", metadata: ["status": .stringConvertible(status), "after": .stringConvertible(backoff),
                                                                        "log": .string(configuration.logPath)])
            Thread.sleep(forTimeInterval: backoff)
            backoff = min(30, backoff * 2)
        }
    }

    private func spawn() -> pid_t {
        let output = open(configuration.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard output >= 0 else { return -1 }
        defer { close(output) }
        let arguments = [litestream.executable, "replicate", "-config", configuration.path, "-log-level", "warn"]
        let environment = litestream.environment.map { "\($0.key)=\($0.value)" }
        return withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                openclaw_spawn_tied(litestream.executable, argv, envp, output, SIGTERM)
            }
        }
    }
}

/// Calls `body` with `strings` as a NULL-terminated C array.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { buffer in body(buffer.baseAddress) }
}
