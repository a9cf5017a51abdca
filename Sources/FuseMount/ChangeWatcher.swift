import CFuse3
import Foundation
import Logging
import Synchronization
import VFS

/// Polls the VFS change log and tells the kernel to drop what it cached for changed paths, so
/// that a change written by any process shows in the mount within one poll interval.
/// Also notices when the database file is deleted or replaced under the mount.
final class ChangeWatcher: Sendable {
    private let fileSystem: FuseFileSystem
    private let databasePath: String
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(fileSystem: FuseFileSystem, databasePath: String) {
        self.fileSystem = fileSystem
        self.databasePath = databasePath
    }

    func start() throws {
        let start = try fileSystem.view.fileSystem.latestChangeSequence()
        let identity = Self.fileIdentity(databasePath)
        let thread = Thread { [self] in
            var position = start
            var reportedError: String?
            var reportedReplacement = false
            var ticks = 0
            while !stopped.withLock({ $0 }) {
                Thread.sleep(forTimeInterval: Double(fileSystem.configuration.pollInterval.components.attoseconds) / 1e18
                             + Double(fileSystem.configuration.pollInterval.components.seconds))
                ticks += 1
                if ticks % 10 == 0, !reportedReplacement, Self.fileIdentity(databasePath) != identity {
                    reportedReplacement = true
                    fileSystem.logger.error("the database file \(TerminalText.quoted(databasePath)) was deleted or replaced while mounted; this mount keeps serving the database it opened (requests that need a new connection fail with EIO); unmount and mount again to see the new file")
                }
                do {
                    var more = true
                    while more {
                        let page = try fileSystem.view.fileSystem.changes(after: position, limit: 1000)
                        if !page.changes.isEmpty || !page.isComplete { fileSystem.changeEpoch.add(1, ordering: .acquiringAndReleasing) }
                        if !page.isComplete {
                            fileSystem.logger.info("missed changes (the change log was trimmed); dropping every cached entry")
                            invalidate(mountPath: "/")
                        } else {
                            for change in page.changes {
                                if let path = fileSystem.view.mountPath(namespace: change.namespace, path: change.path) {
                                    invalidate(mountPath: path)
                                }
                            }
                        }
                        position = page.lastSequence
                        more = page.changes.count == 1000
                    }
                    reportedError = nil
                } catch {
                    let text = "\(error)"
                    if text != reportedError {
                        fileSystem.logger.error("cannot read the change log: \(text)")
                        reportedError = text
                    }
                }
            }
            finished.signal()
        }
        thread.name = "openclaw-fuse-watcher"
        thread.start()
    }

    func stop() {
        stopped.withLock { $0 = true }
        finished.wait()
    }

    /// Drops the kernel's entries, attributes, pages and listings for `mountPath`, everything
    /// known beneath it, and its parent's listing.
    func invalidate(mountPath: String) {
        guard let session = fileSystem.session else { return }
        let nodes = fileSystem.nodes
        let beneath = nodes.invalidate(under: mountPath, alsoInode: MountPath.isRoot(mountPath) ? nil : nodes.inode(of: MountPath.parent(of: mountPath)))
        var paths = Set<PathKey>()
        for (inode, path, isDirectory) in beneath {
            // A directory's cached listing goes. A file's inode serves one version for life, so
            // its pages stay valid: only its attributes go (offset -1), for a mode or metadata
            // change of the same version. A new version gets a new inode at its next lookup.
            _ = fuse_lowlevel_notify_inval_inode(session, inode, isDirectory ? 0 : -1, 0)
            if paths.insert(PathKey(path)).inserted { invalidateEntry(session, path) }
        }
        if !MountPath.isRoot(mountPath) {
            invalidateEntry(session, mountPath)
            if let parent = nodes.inode(of: MountPath.parent(of: mountPath)) {
                _ = fuse_lowlevel_notify_inval_inode(session, parent, 0, 0)
            }
        }
    }

    private func invalidateEntry(_ session: OpaquePointer, _ path: String) {
        guard !MountPath.isRoot(path), let parent = fileSystem.nodes.inode(of: MountPath.parent(of: path)) else { return }
        let name = MountPath.name(of: path)
        _ = name.withCString { fuse_lowlevel_notify_inval_entry(session, parent, $0, name.utf8.count) }
    }

    static func fileIdentity(_ path: String) -> [UInt64] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }
}
