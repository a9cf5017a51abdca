import Foundation

/// Why a state directory cannot be written, when it cannot: a read-only filesystem (a backup
/// restored to read-only media, a read-only bind mount into a container) or no write permission.
///
/// Databases in such a directory are opened for reading only, and every write fails with
/// `EROFS` naming the reason, instead of the open failing.
public enum ReadOnlyMedia {
    /// The reason `directory` cannot be written, or `nil` when it can (or does not exist).
    public static func reason(forDirectory directory: String) -> String? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        if info.f_flag & UInt(ST_RDONLY) != 0 {
            return "\(directory) is on a read-only filesystem"
        }
        if access(directory, W_OK) != 0, errno == EACCES || errno == EROFS {
            return "\(directory) is not writable by this user"
        }
        return nil
    }
}
