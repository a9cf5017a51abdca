import CFuse3
import Foundation
import Logging
import Storage
import VFS

/// A read-only FUSE mount of a VFS: mount, serve until a signal or an unmount, unmount cleanly.
///
/// ```swift
/// let mount = FuseMount(fileSystem: vfs, databasePath: path, configuration: .init(mountPoint: "/mnt/agent", root: .allNamespaces))
/// try mount.run { print("ready") }
/// ```
public final class FuseMount: Sendable {
    private let fileSystem: VirtualFileSystem
    private let databasePath: String
    private let configuration: FuseMountConfiguration
    private let logger: Logger

    public init(fileSystem: VirtualFileSystem, databasePath: String, configuration: FuseMountConfiguration, logger: Logger = Logger(label: "openclaw.fuse")) {
        self.fileSystem = fileSystem
        self.databasePath = databasePath
        self.configuration = configuration
        self.logger = logger
    }

    /// Mounts, calls `onReady` once the mount answers requests, and serves until SIGINT, SIGTERM
    /// or SIGHUP (or an external unmount); then unmounts.
    ///
    /// - throws: ``FuseMountError`` when the mount point is unusable or the mount fails;
    ///   `VFSError` when the namespace to mount does not exist.
    public func run(onReady: () -> Void) throws {
        let mountPoint = URL(fileURLWithPath: configuration.mountPoint).standardizedFileURL.path
        try MountPoint.validate(mountPoint)
        if case .namespace(let name) = configuration.root {
            _ = try fileSystem.namespaceInfo(name, operation: "mount")
        }
        // Every read connection open before the first request: reads then survive the database
        // file being deleted or replaced while mounted (no connection has to be opened later).
        fileSystem.openAllReaders()
        let view = FuseView(fileSystem: fileSystem, root: configuration.root, startedAt: SystemClock.nanoseconds())
        let server = FuseFileSystem(view: view, configuration: configuration, logger: logger)

        var options = "ro,default_permissions,fsname=\(configuration.sourceName.replacingOccurrences(of: ",", with: "_")),subtype=openclaw"
        if configuration.allowOther { options += ",allow_other" }
        // libfuse keeps pointers into argv: the strings live until the session is destroyed.
        let argv: [UnsafeMutablePointer<CChar>?] = ["openclaw", "-o", options].map { (text: String) in strdup(text) }
        defer { argv.forEach { free($0) } }
        var arguments = argv
        try arguments.withUnsafeMutableBufferPointer { buffer in
            var fuseArguments = fuse_args(argc: Int32(buffer.count), argv: buffer.baseAddress, allocated: 0)
            var operations = FuseOperations.make()
            let userdata = Unmanaged.passUnretained(server).toOpaque()
            guard let session = fuse_session_new(&fuseArguments, &operations, MemoryLayout<fuse_lowlevel_ops>.size, userdata) else {
                throw FuseMountError(EINVAL, mountPoint, "libfuse refused the mount options (\(options))")
            }
            defer {
                fuse_session_destroy(session)
                fuse_opt_free_args(&fuseArguments)
            }
            // A parent may have started us with these blocked (a test runner, a service manager):
            // the unmount on Ctrl-C/SIGTERM depends on receiving them.
            var signals = sigset_t()
            sigemptyset(&signals)
            for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, signal) }
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            guard fuse_set_signal_handlers(session) == 0 else {
                throw FuseMountError(EIO, mountPoint, "cannot install signal handlers")
            }
            defer { fuse_remove_signal_handlers(session) }
            guard fuse_session_mount(session, mountPoint) == 0 else {
                let reason = access("/dev/fuse", R_OK | W_OK) == 0 ? "the kernel refused the mount" : "/dev/fuse is missing or not accessible (load the fuse module; mounting needs root or the fusermount3 helper)"
                throw FuseMountError(EPERM, mountPoint, "cannot mount: \(reason)")
            }
            defer { fuse_session_unmount(session) }
            server.session = session
            let watcher = ChangeWatcher(fileSystem: server, databasePath: databasePath)
            try watcher.start()
            defer { watcher.stop() }
            logger.info("mounted \(configuration.sourceName) read-only at \(mountPoint)")
            onReady()
            let result = openclaw_session_loop_mt(session, UInt32(max(2, configuration.maxThreads)))
            if result < 0 { logger.error("the request loop ended with \(String(cString: strerror(-result)))") }
            logger.info("unmounting \(mountPoint)")
        }
    }
}
