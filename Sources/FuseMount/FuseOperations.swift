import CFuse3
import Foundation

/// The table of C callbacks libfuse calls. Each forwards to the ``FuseFileSystem`` that
/// `fuse_session_new` was given as user data; every mutating request answers `EROFS`.
enum FuseOperations {
    static func make() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = { userdata, connection in
            guard let userdata, let connection else { return }
            Unmanaged<FuseFileSystem>.fromOpaque(userdata).takeUnretainedValue().initialize(connection)
        }
        ops.lookup = { request, parent, name in
            // Names are bytes: one that is not UTF-8 names nothing here. `String(cString:)`
            // would repair it into U+FFFD and find a different, existing name.
            guard let name, let text = String(validatingCString: name) else { return _ = fuse_reply_err(request, ENOENT) }
            FuseFileSystem.counted(request, .lookup).lookup(request, parent, text)
        }
        ops.forget = { request, inode, count in
            FuseFileSystem.counted(request, .forget).forget(inode, count)
            fuse_reply_none(request)
        }
        ops.forget_multi = { request, count, items in
            let fileSystem = FuseFileSystem.counted(request, .forget, UInt64(count))
            if let items { fileSystem.forget(UnsafeBufferPointer(start: items, count: count)) }
            fuse_reply_none(request)
        }
        ops.getattr = { request, inode, _ in FuseFileSystem.counted(request, .getattr).getattr(request, inode) }
        ops.opendir = { request, inode, info in FuseFileSystem.counted(request, .opendir).opendir(request, inode, info) }
        ops.readdir = { request, inode, size, offset, info in
            FuseFileSystem.counted(request, .readdir).readdir(request, inode, size, Int(offset), info, plus: false)
        }
        ops.readdirplus = { request, inode, size, offset, info in
            FuseFileSystem.counted(request, .readdirplus).readdir(request, inode, size, Int(offset), info, plus: true)
        }
        ops.releasedir = { request, _, info in FuseFileSystem.counted(request, .releasedir).releasedir(request, info) }
        ops.open = { request, inode, info in FuseFileSystem.counted(request, .open).open(request, inode, info) }
        ops.read = { request, inode, size, offset, info in FuseFileSystem.counted(request, .read).read(request, inode, size, Int(offset), info) }
        ops.release = { request, _, info in FuseFileSystem.counted(request, .release).release(request, info) }
        ops.statfs = { request, _ in FuseFileSystem.counted(request, .statfs).statfs(request) }
        ops.getxattr = { request, inode, name, size in
            FuseFileSystem.counted(request, .getxattr).getxattr(request, inode, name.map { String(cString: $0) } ?? "", size)
        }
        ops.listxattr = { request, inode, size in FuseFileSystem.counted(request, .listxattr).listxattr(request, inode, size) }
        ops.readlink = { request, _ in _ = fuse_reply_err(request, EINVAL) }
        // flush, fsync and fsyncdir stay unset: libfuse answers ENOSYS once and the kernel stops
        // sending them (nothing is ever written back), which saves a request on every close.

        // Read-only for real: every call that would change something.
        ops.setattr = { request, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.mknod = { request, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.mkdir = { request, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.unlink = { request, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.rmdir = { request, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.symlink = { request, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.rename = { request, _, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.link = { request, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.write = { request, _, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.write_buf = { request, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.create = { request, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.setxattr = { request, _, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.removexattr = { request, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.fallocate = { request, _, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        ops.copy_file_range = { request, _, _, _, _, _, _, _, _ in FuseFileSystem.counted(request, .refused).reply(request, EROFS) }
        return ops
    }
}
