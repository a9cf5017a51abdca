import Foundation
import VFS

/// Maps mount paths to the VFS: either one namespace at the root, or every namespace as a
/// top-level directory.
struct FuseView: Sendable {
    /// What a mount path designates.
    enum Target {
        /// The root of the all-namespaces view.
        case namespaceList
        /// A path inside a namespace.
        case entry(VFSNamespace, String)
    }

    let fileSystem: VirtualFileSystem
    let root: FuseMountConfiguration.Root
    /// When the mount started: the time of the all-namespaces root.
    let startedAt: Int64

    func target(_ mountPath: String) throws -> Target {
        switch root {
        case .namespace(let name):
            return .entry(try fileSystem.namespace(name), mountPath)
        case .allNamespaces:
            if MountPath.isRoot(mountPath) { return .namespaceList }
            let (name, rest) = MountPath.splitFirst(mountPath)
            guard NamespaceName.isValid(name) else { throw VFSError(ENOENT, "lookup", mountPath) }
            return .entry(try fileSystem.namespace(name), rest)
        }
    }

    /// Whether the mount shows one namespace at its root, where mount paths are VFS paths.
    var isOneNamespace: Bool {
        if case .namespace = root { return true }
        return false
    }

    /// The namespace a mount path is in (`nil` for the root of the all-namespaces view).
    func namespaceName(of mountPath: String) -> String? {
        switch root {
        case .namespace(let name):
            return name
        case .allNamespaces:
            return MountPath.isRoot(mountPath) ? nil : MountPath.splitFirst(mountPath).0
        }
    }

    /// The `st_ino` of `entry`, found at `mountPath`: a file's ``MountInode``, else `inode`.
    func number(of entry: VFSEntry, at mountPath: String, inode: UInt64) -> UInt64 {
        // A directory's number needs no namespace: not worked out for it.
        number(of: entry, in: entry.isDirectory ? nil : namespaceName(of: mountPath), inode: inode)
    }

    /// ``number(of:at:inode:)`` for an entry of `namespace`, known by the caller (all the
    /// children of one directory share it).
    func number(of entry: VFSEntry, in namespace: String?, inode: UInt64) -> UInt64 {
        guard !entry.isDirectory, let contentID = entry.contentID, let namespace else { return inode }
        return MountInode.file(namespace: namespace, path: entry.path, contentID: contentID)
    }

    /// The mount path of a VFS path of `namespace`, or `nil` when this view does not show it.
    func mountPath(namespace: String, path: String) -> String? {
        switch root {
        case .namespace(let name):
            return PathKey.bytesEqual(name, namespace) ? path : nil
        case .allNamespaces:
            return MountPath.isRoot(path) ? "/" + namespace : "/" + namespace + path
        }
    }

    /// The attributes at a mount path.
    func attributes(_ mountPath: String) throws -> VFSEntry {
        switch try target(mountPath) {
        case .namespaceList:
            return VFSEntry(path: "/", kind: .directory, mode: 0o755, size: 0, mtimeNanoseconds: startedAt,
                            ctimeNanoseconds: startedAt, sha256: nil, metadataJSON: "{}")
        case .entry(let namespace, let path):
            return try namespace.attributes(path)
        }
    }

    /// The children of the directory at a mount path, with their attributes.
    ///
    /// Names come from the rows' paths. A row whose path is not a canonical child of this very
    /// directory (a `vfs_entries` row edited by hand: `..`, a trailing `/`, a wrong parent) is
    /// left out. Paths are unique, so every name is then listed once.
    func children(_ mountPath: String) throws -> [(name: String, entry: VFSEntry, mountPath: String)] {
        switch try target(mountPath) {
        case .namespaceList:
            return try fileSystem.namespaces().compactMap { info in
                guard let entry = try? fileSystem.namespace(info.name).attributes("/") else { return nil }
                return (info.name, entry, MountPath.child(mountPath, info.name))
            }
        case .entry(let namespace, let path):
            // `list` of a file gives the file itself: that is the one case that is not a listing.
            let entries = try namespace.list(path)
            if entries.count == 1, !entries[0].isDirectory, PathKey.bytesEqual(entries[0].path, path) {
                throw VFSError(ENOTDIR, "readdir", mountPath)
            }
            return entries.compactMap { entry in
                guard let name = MountPath.childName(entry.path, of: path), VFSPath.isCanonical(entry.path) else { return nil }
                // In a one-namespace view a child's mount path is its path: no new string.
                return (name, entry, isOneNamespace ? entry.path : MountPath.child(mountPath, name))
            }
        }
    }
}
