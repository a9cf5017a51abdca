import CFuse3
import Synchronization
import VFS

/// The inode numbers the kernel knows, with the kernel's lookup count of each.
///
/// A directory has one inode per path. A file has one inode per path *and content version*:
/// when a path's content changes, its next lookup gets a new inode, and the old one keeps
/// serving the version it was born with (``Node/entry``) until the kernel forgets it, as a file
/// replaced by rename(2) on ext4. Cached pages therefore belong to one version and never need
/// invalidating for a rewrite. Inode 1 is the root and never goes away. Paths are keys by their
/// bytes (``PathKey``): `/caf\u{E9}` and `/cafe\u{301}` are two files with two inodes.
final class NodeTable: Sendable {
    struct Node {
        var path: String
        var lookups: UInt64
        /// The attributes of the version this inode serves, as of its last lookup (`nil` for
        /// the root). A file's ``VFSEntry/contentID`` never changes for the life of its inode.
        var entry: VFSEntry?
        /// Bumped whenever what the kernel cached for this inode (a listing) is invalidated.
        var generation: UInt64 = 0
    }

    private struct State {
        var nodes: [UInt64: Node] = [1: Node(path: "/", lookups: 1, entry: nil)]
        /// The current inode of each path: the one its next lookup returns if the version is
        /// still the same.
        var inodes: [PathKey: UInt64] = [PathKey("/"): 1]
        /// The open version of a chunked file, kept after its first read (inline files are
        /// read whole in one request, and their bytes are not worth keeping here). Beside the
        /// nodes, not in them: a node is copied in and out of its table on every lookup.
        var handles: [UInt64: VFSFileHandle] = [:]
        var next: UInt64 = 2
    }

    private let state = Mutex(State())

    /// The mount path of an inode.
    func path(of inode: UInt64) -> String? {
        state.withLock { $0.nodes[inode]?.path }
    }

    /// The node of an inode, if the kernel knows it.
    func node(_ inode: UInt64) -> Node? {
        state.withLock { $0.nodes[inode] }
    }

    /// The current inode of a mount path, if the kernel knows it.
    func inode(of path: String) -> UInt64? {
        state.withLock { $0.inodes[PathKey(path)] }
    }

    /// The inode for `path` as `entry` describes it, counting one more kernel lookup: the
    /// path's current inode when it serves the same kind and version, else a new one (the old
    /// inode lives on for whoever holds it).
    func lookUp(_ path: String, _ entry: VFSEntry) -> UInt64 {
        state.withLock { state in
            // The path is hashed once: its slot is found, or made for a new inode, in one go.
            let fresh = state.next
            return Self.lookUp(path, entry, current: &state.inodes[PathKey(path), default: fresh], nodes: &state.nodes, next: &state.next)
        }
    }

    /// ``lookUp(_:_:)`` on the path's slot of the inode table: `current` is the path's inode, or
    /// `next` when the path has none yet.
    private static func lookUp(_ path: String, _ entry: VFSEntry, current: inout UInt64, nodes: inout [UInt64: Node], next: inout UInt64) -> UInt64 {
        // In place: a node is large (its entry, maybe an open handle), and copying it out and
        // back costs more than the lookup.
        if current != next, let index = nodes.index(forKey: current), isSameVersion(nodes.values[index].entry, entry) {
            nodes.values[index].lookups += 1
            nodes.values[index].entry = entry
            return current
        }
        current = next
        next += 1
        nodes[current] = Node(path: path, lookups: 1, entry: entry)
        return current
    }

    /// Whether `current` is the version an inode born with `born` serves: same kind, same content.
    static func isSameVersion(_ born: VFSEntry?, _ current: VFSEntry) -> Bool {
        born?.kind == current.kind && born?.contentID == current.contentID
    }

    /// Records newer attributes of the same version (a mode or metadata change).
    func refresh(_ inode: UInt64, _ entry: VFSEntry) {
        state.withLock { state in
            guard let node = state.nodes[inode], Self.isSameVersion(node.entry, entry) else { return }
            state.nodes[inode]?.entry = entry
        }
    }

    /// Keeps the open version of a chunked file for its next reads.
    func keep(_ handle: VFSFileHandle, for inode: UInt64) {
        state.withLock { state in
            guard state.nodes[inode]?.entry?.contentID == handle.contentID else { return }
            state.handles[inode] = handle
        }
    }

    /// The open version kept for `inode` (``keep(_:for:)``), if any.
    func keptHandle(of inode: UInt64) -> VFSFileHandle? {
        state.withLock { $0.handles[inode] }
    }

    /// The kernel forgot `count` lookups of `inode`.
    func forget(_ inode: UInt64, _ count: UInt64) {
        state.withLock { state in Self.forget(inode, count, in: &state) }
    }

    /// The kernel forgot each of `items` (a batch of FORGETs), under one lock: after a cache drop
    /// the kernel forgets thousands of inodes at once, while listings go on registering new ones.
    func forget(_ items: UnsafeBufferPointer<fuse_forget_data>) {
        state.withLock { state in
            for item in items { Self.forget(item.ino, item.nlookup, in: &state) }
        }
    }

    private static func forget(_ inode: UInt64, _ count: UInt64, in state: inout State) {
        // By index: the node is found once and never copied out to read its count.
        guard inode != 1, let index = state.nodes.index(forKey: inode) else { return }
        let lookups = state.nodes.values[index].lookups
        if lookups > count {
            state.nodes.values[index].lookups = lookups - count
            return
        }
        let node = state.nodes.remove(at: index).value
        state.handles.removeValue(forKey: inode)
        let key = PathKey(node.path)
        if state.inodes[key] == inode { state.inodes.removeValue(forKey: key) }
    }

    /// Gives every directory at or beneath `root` (and `alsoInode`) a new generation, so that
    /// older listings are not served into a fresh cache. Returns the known inodes at or beneath
    /// `root`, current and older versions alike, for the kernel notifications, from the same scan.
    @discardableResult
    func invalidate(under root: String, alsoInode: UInt64? = nil) -> [(inode: UInt64, path: String, isDirectory: Bool)] {
        state.withLock { state in
            var beneath: [(inode: UInt64, path: String, isDirectory: Bool)] = []
            for (inode, node) in state.nodes {
                let isBeneath = PathKey.isPath(node.path, atOrBeneath: root)
                guard isBeneath || inode == alsoInode else { continue }
                state.nodes[inode]?.generation += 1
                if isBeneath { beneath.append((inode, node.path, node.entry?.isDirectory ?? true)) }
            }
            return beneath
        }
    }

    /// The generation of an inode (see ``invalidate(under:alsoInode:)``).
    func generation(of inode: UInt64) -> UInt64 {
        state.withLock { $0.nodes[inode]?.generation ?? 0 }
    }
}

/// Open file and directory handles, by the number given to the kernel.
final class HandleTable<Value: Sendable>: Sendable {
    private struct State {
        var values: [UInt64: Value] = [:]
        var next: UInt64 = 1
    }

    private let state = Mutex(State())

    func insert(_ value: Value) -> UInt64 {
        state.withLock { state in
            let handle = state.next
            state.next += 1
            state.values[handle] = value
            return handle
        }
    }

    func value(_ handle: UInt64) -> Value? { state.withLock { $0.values[handle] } }

    func remove(_ handle: UInt64) { _ = state.withLock { $0.values.removeValue(forKey: handle) } }

    func replace(_ handle: UInt64, with value: Value) { state.withLock { $0.values[handle] = value } }

    func first(where predicate: (Value) -> Bool) -> Value? {
        state.withLock { $0.values.values.first(where: predicate) }
    }
}

/// Which listing each kernel-opened directory inode is being read from.
final class NodeListingIndex: Sendable {
    private let state = Mutex([UInt64: UInt64]())

    /// The listing handle for `inode`: the current one, or a new snapshot at offset 0, when
    /// none exists, or when the directory changed since it was taken.
    func handle(for inode: UInt64, offset: Int, generation: UInt64, listings: HandleTable<FuseFileSystem.DirectorySnapshot>,
                make: () throws -> FuseFileSystem.DirectorySnapshot) -> Result<UInt64, any Error> {
        if let number = state.withLock({ $0[inode] }), let current = listings.value(number), offset != 0 || current.generation == generation {
            return .success(number)
        }
        do {
            let number = listings.insert(try make())
            let previous = state.withLock { state -> UInt64? in
                defer { state[inode] = number }
                return state[inode]
            }
            if let previous { listings.remove(previous) }
            return .success(number)
        } catch {
            return .failure(error)
        }
    }

    func drop(_ inode: UInt64, listings: HandleTable<FuseFileSystem.DirectorySnapshot>) {
        if let number = state.withLock({ $0.removeValue(forKey: inode) }) { listings.remove(number) }
    }
}
