import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks mount points and unmounts them.
public enum MountPoint {
    /// The filesystem type a mount of ours shows in /proc/mounts.
    public static let filesystemType = "fuse.openclaw"

    /// Fails with a message that says how to fix it unless `path` is an existing, empty
    /// directory that is not a (stale) mount.
    public static func validate(_ path: String) throws {
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            switch code {
            case ENOENT:
                throw FuseMountError(code, path, "does not exist; create it first (mkdir -p \(path))")
            case ENOTCONN:
                throw FuseMountError(code, path, "is a stale mount left by a mount process that was killed; run `openclaw vfs umount \(path)` (or `fusermount3 -u \(path)`) and mount again")
            default:
                throw FuseMountError(code, path, "cannot be used: \(String(cString: strerror(code)))")
            }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw FuseMountError(ENOTDIR, path, "is not a directory; mount on an empty directory")
        }
        if let record = mountRecord(path) {
            // statfs always reaches the mount process (listings and attributes may be cached).
            var info = statvfs()
            if record.type == filesystemType, statvfs(path, &info) != 0, errno == ENOTCONN {
                throw FuseMountError(ENOTCONN, path, "is a stale mount left by a mount process that was killed; run `openclaw vfs umount \(path)` (or `fusermount3 -u \(path)`) and mount again")
            }
            throw FuseMountError(EBUSY, path, "is already a mount point; unmount it first (openclaw vfs umount \(path))")
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        guard contents.isEmpty else {
            throw FuseMountError(ENOTEMPTY, path, "is not empty (\(contents.count) \(contents.count == 1 ? "entry" : "entries")); mount on an empty directory")
        }
    }

    /// The /proc/self/mountinfo record of the mount at `path`, if any: its type and options.
    public static func mountRecord(_ path: String) -> (type: String, options: String)? {
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        var found: (String, String)?
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 6, unescape(String(fields[4])) == target else { continue }
            let tail = halves[1].split(separator: " ")
            found = (tail.first.map(String.init) ?? "", String(fields[5]))
        }
        return found
    }

    /// Whether something is mounted at `path`.
    public static func isMounted(_ path: String) -> Bool { mountRecord(path) != nil }

    /// Unmounts an openclaw mount (also a stale one). `lazy` detaches it even while busy.
    public static func unmount(_ path: String, lazy: Bool = false) throws {
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let record = mountRecord(target) else {
            throw FuseMountError(EINVAL, target, "is not mounted")
        }
        guard record.type == filesystemType else {
            throw FuseMountError(EINVAL, target, "is a \(record.type) mount, not an openclaw mount; refusing to unmount it")
        }
        if umount2(target, lazy ? Int32(MNT_DETACH) : 0) == 0 { return }
        let code = errno
        if code == EBUSY {
            throw FuseMountError(code, target, "is busy (a process has files open or its working directory there); close them, or use --lazy")
        }
        if code == EPERM {
            // Not root: the setuid helper may unmount a mount this user made.
            let helper = Process()
            helper.executableURL = URL(fileURLWithPath: "/usr/bin/fusermount3")
            helper.arguments = lazy ? ["-u", "-z", target] : ["-u", target]
            try? helper.run()
            helper.waitUntilExit()
            if helper.terminationStatus == 0 { return }
        }
        throw FuseMountError(code, target, "cannot unmount: \(String(cString: strerror(code)))")
    }

    /// Mountinfo escapes spaces and a few other bytes as octal `\ooo`.
    private static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "\\"), iterator.count >= 3,
               let value = UInt8(String(decoding: iterator.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                iterator = iterator.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
