import CFuse3
import Foundation
import Logging
import Storage
import Synchronization
import VFS

/// Serves FUSE low-level requests from the VFS. Every request runs on a libfuse worker thread,
/// concurrently with others; all shared state is in thread-safe tables.
final class FuseFileSystem: @unchecked Sendable {
    // @unchecked: `session` is set once before the request loop starts and only read after.
    let view: FuseView
    let configuration: FuseMountConfiguration
    let logger: Logger
    let nodes = NodeTable()
    /// Counts the change watcher's invalidation passes. A lookup that saw it move while it read
    /// the VFS may have read the state from before a change whose invalidation is already
    /// done: its reply is then not cached.
    let changeEpoch = Atomic<UInt64>(0)
    /// Files opened through OPEN, on kernels that cannot open files themselves.
    let files = HandleTable<VFSFileHandle>()
    let directories = HandleTable<DirectorySnapshot>()
    let requests = RequestCounts()
    /// The owner every entry shows: the mount process's user and group, read once (each is a
    /// system call, and a listing's reply carries the attributes of every child).
    let owner = (uid: getuid(), gid: getgid())

    /// A directory listing taken at opendir, with the inode's generation at that time.
    struct DirectorySnapshot: Sendable {
        /// `.`, `..` (no entry, their inode) and the children (their entry and mount path, inode 0).
        var items: [(name: String, entry: VFSEntry?, inode: UInt64, mountPath: String)]
        var generation: UInt64
    }
    var session: OpaquePointer?
    /// Whether the kernel opens directories without asking (set once in `init`).
    var kernelOpensDirectories = false
    /// Whether the kernel opens files without asking (zero-message open, set once in `init`):
    /// reads then come with no handle and are served by inode, from the inode's version.
    var kernelOpensFiles = false
    /// Listings being read through the kernel's own directory handles (zero-message opendir),
    /// by inode, until a readdir reaches their end.
    let listings = HandleTable<DirectorySnapshot>()
    private let listingByInode = NodeListingIndex()

    static let xattrHash = "user.openclaw.sha256"
    static let xattrMetadata = "user.openclaw.metadata"
    /// On the root only, not listed: the requests served so far (``RequestCounts``).
    static let xattrRequests = "user.openclaw.requests"

    init(view: FuseView, configuration: FuseMountConfiguration, logger: Logger) {
        self.view = view
        self.configuration = configuration
        self.logger = logger
    }

    static func from(_ request: fuse_req_t?) -> FuseFileSystem {
        Unmanaged<FuseFileSystem>.fromOpaque(fuse_req_userdata(request)!).takeUnretainedValue()
    }

    /// The file system of `request`, having counted the request (see ``RequestCounts``).
    static func counted(_ request: fuse_req_t?, _ kind: RequestCounts.Kind, _ amount: UInt64 = 1) -> FuseFileSystem {
        let fileSystem = from(request)
        fileSystem.requests.count(kind, amount)
        return fileSystem
    }

    // MARK: - Helpers

    /// The errno to answer for an error, logging the ones that are not the caller's fault.
    func errno(for error: any Error, _ operation: String, _ path: String) -> Int32 {
        if let error = error as? VFSError {
            if error.errno == EIO || error.errno == EBUSY || error.errno == ESTALE {
                logger.error("\(operation) \(TerminalText.quoted(path)) failed: \(error)")
            }
            return error.errno
        }
        logger.error("\(operation) \(TerminalText.quoted(path)) failed: \(error)")
        return EIO
    }

    func childPath(_ parent: String, _ name: String) -> String {
        MountPath.child(parent, name)
    }

    /// The attributes of `entry`, found at `mountPath` (which names its namespace), for the
    /// node `inode`.
    func attributes(_ entry: VFSEntry, inode: UInt64, at mountPath: String) -> stat {
        attributes(entry, number: view.number(of: entry, at: mountPath, inode: inode))
    }

    /// The attributes of `entry`, whose `st_ino` is `number`.
    func attributes(_ entry: VFSEntry, number: UInt64) -> stat {
        var attributes = stat()
        attributes.st_ino = __ino_t(number)
        attributes.st_mode = (entry.isDirectory ? S_IFDIR : S_IFREG) | mode_t(entry.mode & 0o7777)
        // One link for a file (there are no hard links). A directory says 1 too, "not counted", as
        // btrfs does: 2 would tell `find` and `fts` (leaf optimisation) it has no subdirectories.
        attributes.st_nlink = 1
        attributes.st_uid = owner.uid
        attributes.st_gid = owner.gid
        attributes.st_size = Int(entry.size)
        attributes.st_blocks = Int((entry.size + 511) / 512)
        attributes.st_blksize = 65536
        let mtime = Self.timespec(entry.mtimeNanoseconds)
        attributes.st_mtim = mtime
        attributes.st_atim = mtime
        attributes.st_ctim = Self.timespec(entry.ctimeNanoseconds)
        return attributes
    }

    static func timespec(_ nanoseconds: Int64) -> Glibc.timespec {
        let time = EpochTime.flooredSeconds(nanoseconds)
        return Glibc.timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds)
    }

    func entryParameter(_ entry: VFSEntry, inode: UInt64, at mountPath: String) -> fuse_entry_param {
        entryParameter(entry, inode: inode, number: view.number(of: entry, at: mountPath, inode: inode))
    }

    /// The entry parameter of `entry` for the node `inode`, whose `st_ino` is `number`.
    func entryParameter(_ entry: VFSEntry, inode: UInt64, number: UInt64) -> fuse_entry_param {
        var parameter = fuse_entry_param()
        parameter.ino = inode
        parameter.generation = 1
        parameter.attr = attributes(entry, number: number)
        parameter.attr_timeout = configuration.cacheTimeout
        parameter.entry_timeout = configuration.cacheTimeout
        return parameter
    }

    // MARK: - Requests

    func initialize(_ connection: UnsafeMutablePointer<fuse_conn_info>) {
        var want = connection.pointee.want
        for capability in [openclaw_cap_async_read, openclaw_cap_readdirplus, openclaw_cap_parallel_dirops, openclaw_cap_auto_inval_data]
        where connection.pointee.capable & capability != 0 {
            want |= capability
        }
        // Every entry of a listing is wanted with its attributes (ls -l, find, tar): always plus.
        want &= ~openclaw_cap_readdirplus_auto
        // Zero-message opendir: the kernel then caches listings and sends no OPENDIR/RELEASEDIR,
        // so a warm tree walk costs no request at all.
        kernelOpensDirectories = connection.pointee.capable & openclaw_cap_no_opendir_support != 0
        // Zero-message open: no OPEN/RELEASE per file, and the kernel keeps its cached pages
        // across opens. Safe because an inode serves one content version for its whole life.
        kernelOpensFiles = connection.pointee.capable & openclaw_cap_no_open_support != 0
        connection.pointee.want = want
        connection.pointee.max_readahead = 1 << 20
    }

    func lookup(_ request: fuse_req_t?, _ parent: UInt64, _ name: String) {
        guard let parentPath = nodes.path(of: parent) else { return reply(request, ESTALE) }
        let path = childPath(parentPath, name)
        let epoch = changeEpoch.load(ordering: .acquiring)
        do {
            let entry = try view.attributes(path)
            let inode = nodes.lookUp(path, entry)
            var parameter = entryParameter(entry, inode: inode, at: path)
            if changeEpoch.load(ordering: .acquiring) != epoch { (parameter.entry_timeout, parameter.attr_timeout) = (0, 0) }
            if fuse_reply_entry(request, &parameter) != 0 { nodes.forget(inode, 1) }
        } catch {
            let code = errno(for: error, "lookup", path)
            guard code == ENOENT else { return reply(request, code) }
            // A negative entry (inode 0) the kernel caches: `rg` and `git` look for `.gitignore`,
            // `.ignore` and the like in every directory on every run. The change watcher drops
            // it (an entry invalidation of the name) when the name is created.
            var parameter = fuse_entry_param()
            parameter.entry_timeout = changeEpoch.load(ordering: .acquiring) == epoch ? configuration.cacheTimeout : 0
            _ = fuse_reply_entry(request, &parameter)
        }
    }

    func forget(_ inode: UInt64, _ count: UInt64) {
        nodes.forget(inode, count)
    }

    /// A batch of FORGETs, under one lock of the node table.
    func forget(_ items: UnsafeBufferPointer<fuse_forget_data>) {
        nodes.forget(items)
    }

    func getattr(_ request: fuse_req_t?, _ inode: UInt64) {
        guard let node = nodes.node(inode) else { return reply(request, ESTALE) }
        // An inode of a file's older version (rewritten or removed since): like a file replaced
        // by rename(2) or unlinked while open, it keeps the attributes of its version.
        func replyBorn(_ born: VFSEntry) {
            var attributes = attributes(born, inode: inode, at: node.path)
            _ = fuse_reply_attr(request, &attributes, configuration.cacheTimeout)
        }
        do {
            let current = try view.attributes(node.path)
            if let born = node.entry, !born.isDirectory, !NodeTable.isSameVersion(born, current) {
                return replyBorn(born)
            }
            nodes.refresh(inode, current)
            var attributes = attributes(current, inode: inode, at: node.path)
            _ = fuse_reply_attr(request, &attributes, configuration.cacheTimeout)
        } catch let error as VFSError where error.errno == ENOENT {
            guard let born = node.entry, !born.isDirectory else { return reply(request, ENOENT) }
            replyBorn(born)
        } catch {
            reply(request, errno(for: error, "getattr", node.path))
        }
    }

    func opendir(_ request: fuse_req_t?, _ inode: UInt64, _ info: UnsafeMutablePointer<fuse_file_info>?) {
        guard let path = nodes.path(of: inode), let info else { return reply(request, ESTALE) }
        if kernelOpensDirectories { return reply(request, ENOSYS) }
        do {
            // The listing is taken once, at open: every readdir of this handle reads the same
            // snapshot, unless the directory changes meanwhile (see readdir).
            info.pointee.fh = directories.insert(try snapshot(path, inode))
            openclaw_fi_set_cache_readdir(info, 1)
            openclaw_fi_set_keep_cache(info, 1)
            _ = fuse_reply_open(request, info)
        } catch {
            reply(request, errno(for: error, "opendir", path))
        }
    }

    func snapshot(_ path: String, _ inode: UInt64) throws -> DirectorySnapshot {
        let generation = nodes.generation(of: inode)
        let children = try view.children(path)
        let parentInode = nodes.inode(of: MountPath.parent(of: path)) ?? 1
        var items: [(name: String, entry: VFSEntry?, inode: UInt64, mountPath: String)] = [(".", nil, inode, path), ("..", nil, parentInode, path)]
        items.reserveCapacity(children.count + 2)
        for child in children { items.append((child.name, child.entry, 0, child.mountPath)) }
        return DirectorySnapshot(items: items, generation: generation)
    }

    func readdir(_ request: fuse_req_t?, _ inode: UInt64, _ size: Int, _ offset: Int, _ info: UnsafeMutablePointer<fuse_file_info>?, plus: Bool) {
        guard let info, let path = nodes.path(of: inode) else { return reply(request, EBADF) }
        if info.pointee.fh == 0 {
            // A kernel-opened directory: one listing per inode, taken at offset 0 (or when stale)
            // and dropped once read to its end.
            let handle = listingByInode.handle(for: inode, offset: offset, generation: nodes.generation(of: inode), listings: listings) {
                try self.snapshot(path, inode)
            }
            switch handle {
            case .failure(let error): return reply(request, errno(for: error, "readdir", path))
            case .success(let number):
                info.pointee.fh = number
                readdir(request, inode, size, offset, info, plus: plus)
                if listings.value(number).map({ offset >= $0.items.count }) ?? true { listingByInode.drop(inode, listings: listings) }
                info.pointee.fh = 0
                return
            }
        }
        guard var snapshot = directories.value(info.pointee.fh) ?? listings.value(info.pointee.fh) else {
            return reply(request, EBADF)
        }
        if snapshot.generation != nodes.generation(of: inode) {
            // The directory changed since this handle was opened: the kernel may be refilling its
            // listing cache from this handle, so serve the current listing, not the old one.
            do {
                snapshot = try self.snapshot(path, inode)
                if directories.value(info.pointee.fh) != nil {
                    directories.replace(info.pointee.fh, with: snapshot)
                } else {
                    listings.replace(info.pointee.fh, with: snapshot)
                }
            } catch {
                return reply(request, errno(for: error, "readdir", path))
            }
        }
        let listing = snapshot.items
        // Every child of the directory is in its namespace: found once, not per child.
        let namespace = view.namespaceName(of: path)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(size, 1))
        defer { buffer.deallocate() }
        var used = 0
        var index = offset
        while index < listing.count {
            let item = listing[index]
            let next = off_t(index + 1)
            let child = item.mountPath
            let added: Int = item.name.withCString { name in
                if plus {
                    // The size of the entry depends on its name alone.
                    let needed = fuse_add_direntry_plus(request, nil, 0, name, nil, next)
                    guard needed <= size - used else { return 0 }
                    var parameter = fuse_entry_param()
                    if let entry = item.entry {
                        // A plus entry counts as a lookup of the child: register it.
                        let inode = nodes.lookUp(child, entry)
                        parameter = entryParameter(entry, inode: inode, number: view.number(of: entry, in: namespace, inode: inode))
                    } else {
                        parameter.attr.st_ino = __ino_t(item.inode)
                        parameter.attr.st_mode = S_IFDIR
                    }
                    return fuse_add_direntry_plus(request, buffer + used, size - used, name, &parameter, next)
                } else {
                    var attributes = stat()
                    let inode = item.entry == nil ? item.inode : (nodes.inode(of: child) ?? 0)
                    attributes.st_ino = __ino_t(item.entry.map { view.number(of: $0, in: namespace, inode: inode) } ?? inode)
                    attributes.st_mode = item.entry.map { $0.isDirectory ? S_IFDIR : S_IFREG } ?? S_IFDIR
                    let needed = fuse_add_direntry(request, nil, 0, name, &attributes, next)
                    guard needed <= size - used else { return 0 }
                    return fuse_add_direntry(request, buffer + used, size - used, name, &attributes, next)
                }
            }
            if added == 0 { break }
            used += added
            index += 1
        }
        _ = fuse_reply_buf(request, buffer, used)
    }

    func releasedir(_ request: fuse_req_t?, _ info: UnsafeMutablePointer<fuse_file_info>?) {
        if let info, info.pointee.fh != 0 { directories.remove(info.pointee.fh) }
        reply(request, 0)
    }

    func open(_ request: fuse_req_t?, _ inode: UInt64, _ info: UnsafeMutablePointer<fuse_file_info>?) {
        guard let node = nodes.node(inode), let info else { return reply(request, ESTALE) }
        if openclaw_fi_flags(info) & O_ACCMODE != O_RDONLY || openclaw_fi_flags(info) & O_TRUNC != 0 {
            return reply(request, EROFS)
        }
        guard let entry = node.entry, !entry.isDirectory else { return reply(request, EISDIR) }
        // ENOSYS once: the kernel then opens every file itself, and this is never called again.
        if kernelOpensFiles { return reply(request, ENOSYS) }
        do {
            info.pointee.fh = files.insert(try view.fileSystem.openVersion(of: entry))
            // The inode's pages hold its one version: always keep them.
            openclaw_fi_set_keep_cache(info, 1)
            _ = fuse_reply_open(request, info)
        } catch {
            reply(request, errno(for: error, "open", node.path))
        }
    }

    /// The version an inode reads: kept from an earlier read, or opened now.
    private func version(of inode: UInt64) throws -> VFSFileHandle {
        if let handle = nodes.keptHandle(of: inode) { return handle }
        guard let node = nodes.node(inode) else { throw VFSError(ESTALE, "read", "inode \(inode)") }
        guard let entry = node.entry, !entry.isDirectory else { throw VFSError(EISDIR, "read", node.path) }
        let handle = try view.fileSystem.openVersion(of: entry)
        if !handle.isInline { nodes.keep(handle, for: inode) }
        return handle
    }

    func read(_ request: fuse_req_t?, _ inode: UInt64, _ size: Int, _ offset: Int, _ info: UnsafeMutablePointer<fuse_file_info>?) {
        let handle: VFSFileHandle
        do {
            if let info, info.pointee.fh != 0 {
                guard let opened = files.value(info.pointee.fh) else { return reply(request, EBADF) }
                handle = opened
            } else {
                handle = try version(of: inode)
            }
        } catch {
            return reply(request, errno(for: error, "read", nodes.path(of: inode) ?? "inode \(inode)"))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        defer { buffer.deallocate() }
        do {
            let count = try view.fileSystem.read(handle, offset: Int64(offset), into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size]))
            _ = fuse_reply_buf(request, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), count)
        } catch {
            reply(request, errno(for: error, "read", handle.path))
        }
    }

    func release(_ request: fuse_req_t?, _ info: UnsafeMutablePointer<fuse_file_info>?) {
        if let info { files.remove(info.pointee.fh) }
        reply(request, 0)
    }

    func statfs(_ request: fuse_req_t?) {
        do {
            let infos: [NamespaceInfo]
            switch view.root {
            case .namespace(let name): infos = [try view.fileSystem.namespaceInfo(name, operation: "statfs")]
            case .allNamespaces: infos = try view.fileSystem.namespaces()
            }
            let bytes = infos.reduce(Int64(0)) { $0 + $1.bytes }
            let entries = infos.reduce(Int64(0)) { $0 + $1.entries }
            var result = statvfs()
            result.f_bsize = 4096
            result.f_frsize = 4096
            result.f_blocks = fsblkcnt_t((bytes + 4095) / 4096)
            result.f_files = fsfilcnt_t(entries + Int64(infos.count))
            result.f_namemax = 255
            result.f_flag = UInt(ST_RDONLY)
            _ = fuse_reply_statfs(request, &result)
        } catch {
            reply(request, errno(for: error, "statfs", "/"))
        }
    }

    func getxattr(_ request: fuse_req_t?, _ inode: UInt64, _ name: String, _ size: Int) {
        // Only our two names exist: answer the rest (security.selinux, system.posix_acl_*, asked
        // by `ls -l` for every file) without touching the database. EOPNOTSUPP outside `user.`
        // lets tools remember that this filesystem has no such attributes.
        guard name.hasPrefix("user.") else { return reply(request, EOPNOTSUPP) }
        if name == Self.xattrRequests, inode == 1 { return replyXattr(request, Array(requests.json.utf8), size) }
        guard name == Self.xattrHash || name == Self.xattrMetadata else { return reply(request, ENODATA) }
        guard let path = nodes.path(of: inode) else { return reply(request, ESTALE) }
        do {
            let value: String
            switch try view.target(path) {
            case .namespaceList:
                return reply(request, ENODATA)
            case .entry(let namespace, let vfsPath):
                let entry = try namespace.stat(vfsPath)
                switch name {
                case Self.xattrHash:
                    guard let sha = entry.sha256 else { return reply(request, ENODATA) }
                    value = sha
                case Self.xattrMetadata:
                    value = entry.metadataJSON
                default:
                    return reply(request, ENODATA)
                }
            }
            replyXattr(request, Array(value.utf8), size)
        } catch {
            reply(request, errno(for: error, "getxattr", path))
        }
    }

    func listxattr(_ request: fuse_req_t?, _ inode: UInt64, _ size: Int) {
        guard let path = nodes.path(of: inode) else { return reply(request, ESTALE) }
        do {
            var names: [String] = []
            if case .entry(let namespace, let vfsPath) = try view.target(path) {
                let entry = try namespace.attributes(vfsPath)
                names = entry.isDirectory ? [Self.xattrMetadata] : [Self.xattrHash, Self.xattrMetadata]
            }
            var bytes: [UInt8] = []
            for name in names { bytes += Array(name.utf8) + [0] }
            replyXattr(request, bytes, size)
        } catch {
            reply(request, errno(for: error, "listxattr", path))
        }
    }

    /// Answers an xattr request: the size when probed with 0, ERANGE when too small, else the bytes.
    private func replyXattr(_ request: fuse_req_t?, _ bytes: [UInt8], _ size: Int) {
        if size == 0 { return _ = fuse_reply_xattr(request, bytes.count) }
        guard size >= bytes.count else { return reply(request, ERANGE) }
        _ = bytes.withUnsafeBytes { fuse_reply_buf(request, $0.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count) }
    }

    func reply(_ request: fuse_req_t?, _ code: Int32) {
        _ = fuse_reply_err(request, code)
    }
}
