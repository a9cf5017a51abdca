import Foundation
import GRDB
import Storage
import Synchronization

/// Deletes contents released longer than the grace period ago (``VFSLimits/releasedContentGrace``),
/// from inside write transactions, at most once per interval: a write then pays for one indexed
/// `DELETE` now and then, and a grace of zero frees a content in the very write that released it.
final class ReleasedContentCollection: Sendable {
    private let lastRun = Mutex<Int64>(0)

    /// The longest time between two collections.
    static let interval: Int64 = 60 * 1_000_000_000

    func collectIfDue(_ db: Database, grace: Duration) throws {
        let now = SystemClock.nanoseconds()
        let graceNanoseconds = EpochTime.nanoseconds(grace)
        let due = lastRun.withLock { last in
            guard now - last >= min(graceNanoseconds, Self.interval) else { return false }
            last = now
            return true
        }
        if due { _ = try Self.collect(db, releasedBefore: now - graceNanoseconds) }
    }

    /// Deletes the contents (and, by cascade, their chunks) released before `cutoff` that nothing
    /// refers to again; returns how many went.
    static func collect(_ db: Database, releasedBefore cutoff: Int64) throws -> Int {
        try db.cachedStatement(sql: "DELETE FROM vfs_contents WHERE released_at_ns IS NOT NULL AND released_at_ns <= ? AND ref_count <= 0")
            .execute(arguments: [cutoff])
        return db.changesCount
    }
}

extension VirtualFileSystem {
    /// Deletes the contents whose last entry went at least `age` ago (default: the grace period
    /// of ``VFSLimits/releasedContentGrace``). Handles still open on them then read `ESTALE`.
    /// Writes do this on their own about once a minute; `doctor --fix` and full-disk removals
    /// call it directly. Returns how many contents were deleted.
    @discardableResult
    public func collectReleasedContents(olderThan age: Duration? = nil) throws -> Int {
        let cutoff = SystemClock.nanoseconds() - EpochTime.nanoseconds(age ?? limits.releasedContentGrace)
        let pending = try read("gc", "/") { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM vfs_contents WHERE released_at_ns IS NOT NULL AND released_at_ns <= ? LIMIT 1", arguments: [cutoff]) ?? false
        }
        guard pending else { return 0 }
        return try write(Self.releasedCollectionOperation, "/") { db in try ReleasedContentCollection.collect(db, releasedBefore: cutoff) }
    }

    /// Released contents waiting for their grace period to pass: how many, and their bytes.
    public func releasedContents() throws -> (count: Int, bytes: Int64) {
        try read("gc", "/") { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(size), 0) FROM vfs_contents WHERE released_at_ns IS NOT NULL")
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }
}
