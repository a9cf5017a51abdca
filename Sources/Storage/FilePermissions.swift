import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Creates state directories 0700 and database files 0600.
public enum FilePermissions {
    /// Creates `path` and its missing parents with mode 0700.
    public static func createPrivateDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StorageError(.cannotOpen, path: path, message: "exists and is not a directory", errno: ENOTDIR)
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try createPrivateDirectory(parent) }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            let code = errno
            throw StorageError(.cannotOpen, path: path, message: "cannot create directory: \(String(cString: strerror(code)))", errno: code)
        }
    }

    /// Creates an empty file with mode 0600 if none exists; narrows a wider mode on an existing one.
    public static func ensurePrivateFile(_ path: String) throws {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EACCES || code == EROFS, access(path, R_OK) == 0 { return }
            throw StorageError(.cannotOpen, path: path, message: "cannot open: \(String(cString: strerror(code)))", errno: code)
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0, info.st_uid == getuid() {
            _ = fchmod(fd, 0o600)
        }
    }
}
