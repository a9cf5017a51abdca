import Synchronization
import VFS

/// The inode numbers the kernel knows, each for one path of the mount, with the kernel's lookup
/// count. Inode 1 is the root and never goes away. Paths are keys by their bytes (``PathKey``):
/// `/caf\u{E9}` and `/cafe\u{301}` are two files with two inodes.
final class NodeTable: Sendable {
    struct Node {
        var path: String
        var lookups: UInt64
        /// The content version whose pages the kernel may have cached for this inode.
        var cachedContent: Int64?
        /// Bumped whenever what the kernel cached for this inode is invalidated.
        var generation: UInt64 = 0
    }

    private struct State {
        var nodes: [UInt64: Node] = [1: Node(path: "/", lookups: 1, cachedContent: nil)]
        var inodes: [PathKey: UInt64] = [PathKey("/"): 1]
        var next: UInt64 = 2
    }

    private let state = Mutex(State())

    /// The mount path of an inode.
    func path(of inode: UInt64) -> String? {
        state.withLock { $0.nodes[inode]?.path }
    }

    /// The inode of a mount path, if the kernel knows it.
    func inode(of path: String) -> UInt64? {
        state.withLock { $0.inodes[PathKey(path)] }
    }

    /// The inode for `path`, counting one more kernel lookup.
    func lookUp(_ path: String) -> UInt64 {
        state.withLock { state in
            let key = PathKey(path)
            if let inode = state.inodes[key] {
                state.nodes[inode]?.lookups += 1
                return inode
            }
            let inode = state.next
            state.next += 1
            state.nodes[inode] = Node(path: path, lookups: 1, cachedContent: nil)
            state.inodes[key] = inode
            return inode
        }
    }

    /// The kernel forgot `count` lookups of `inode`.
    func forget(_ inode: UInt64, _ count: UInt64) {
        guard inode != 1 else { return }
        state.withLock { state in
            guard var node = state.nodes[inode] else { return }
            node.lookups = node.lookups > count ? node.lookups - count : 0
            if node.lookups == 0 {
                state.nodes[inode] = nil
                let key = PathKey(node.path)
                if state.inodes[key] == inode { state.inodes[key] = nil }
            } else {
                state.nodes[inode] = node
            }
        }
    }

    /// Records which content version the kernel may cache for `inode`; returns whether it is
    /// the one already cached (so the kernel may keep its pages).
    func noteContent(_ inode: UInt64, _ content: Int64) -> Bool {
        state.withLock { state in
            let same = state.nodes[inode]?.cachedContent == content
            state.nodes[inode]?.cachedContent = content
            return same
        }
    }

    /// Forgets what the kernel cached for every node under `root` (and for `alsoInode`): its
    /// content version, and a new generation so that older directory snapshots are not served
    /// into a fresh cache. Returns the known (inode, path) pairs at or beneath `root`, for the
    /// kernel notifications, from the same scan.
    @discardableResult
    func invalidate(under root: String, alsoInode: UInt64? = nil) -> [(inode: UInt64, path: String)] {
        state.withLock { state in
            var beneath: [(inode: UInt64, path: String)] = []
            for (inode, node) in state.nodes {
                let isBeneath = PathKey.isPath(node.path, atOrBeneath: root)
                guard isBeneath || inode == alsoInode else { continue }
                state.nodes[inode]?.cachedContent = nil
                state.nodes[inode]?.generation += 1
                if isBeneath { beneath.append((inode, node.path)) }
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
