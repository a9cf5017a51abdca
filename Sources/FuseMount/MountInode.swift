/// The `st_ino` a mount reports for a file: a function of its namespace, its path and its
/// content version, the same on every mount of the database and in both views (one namespace
/// at the root, or all of them).
///
/// The kernel knows each inode by its node id (``NodeTable``, numbered from 1 as the kernel
/// looks names up, so different on every mount); `st_ino` is only what `stat` shows. A stable
/// number lets a git index record what the mount will report (``GitIndexRefresh``), so that
/// `git status` on the mount hashes no file. A rewritten file reports a new number, as a file
/// replaced by rename(2) does. Directories report their node id.
public enum MountInode {
    /// The number of a file: FNV-1a (64 bits) of `namespace`, `path` and `contentID`, with bit 62
    /// set and bit 63 clear, so that it is never a node id, never 0 and positive as a signed
    /// 64-bit value.
    public static func file(namespace: String, path: String, contentID: Int64) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        func mix(_ text: String) {
            // A native string's bytes in place (a listing's paths are): iterating the UTF-8 view
            // costs several times more.
            let mixed: Void? = text.utf8.withContiguousStorageIfAvailable { for byte in $0 { mix(byte) } }
            if mixed == nil { for byte in text.utf8 { mix(byte) } }
            mix(0)
        }
        mix(namespace)
        mix(path)
        withUnsafeBytes(of: contentID.littleEndian) { for byte in $0 { mix(byte) } }
        return (hash >> 2) | (1 << 62)
    }
}
