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
        var hash = fnv1a(namespace, offsetBasis)
        hash = fnv1a(path, hash)
        hash = withUnsafeBytes(of: contentID.littleEndian) { fnv1a($0, hash) }
        return (hash >> 2) | (1 << 62)
    }

    private static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// `hash` with the bytes of `text` and a 0 byte after them mixed in. A native string's bytes
    /// are read in place (a listing's paths are); iterating the UTF-8 view costs several times more.
    private static func fnv1a(_ text: String, _ hash: UInt64) -> UInt64 {
        var text = text
        let mixed = text.withUTF8 { fnv1a(UnsafeRawBufferPointer($0), hash) }
        return mixed &* prime  // the 0 byte: (hash ^ 0) * prime
    }

    /// `hash` with `bytes` mixed in, one at a time (FNV-1a). No captured state: a closure that
    /// captured the hash would check its exclusive access on every byte.
    private static func fnv1a(_ bytes: UnsafeRawBufferPointer, _ hash: UInt64) -> UInt64 {
        var hash = hash
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* prime }
        return hash
    }
}
