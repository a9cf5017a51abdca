import AgentRuntime
import ArgumentParser
import Foundation
import GRDB
import StateStore
import Storage
import Synchronization
import VFS
#if canImport(Glibc)
import Glibc
#endif

/// `openclaw-bench vfs-diagnose`: counts what one VFS call costs in SQL statements and WAL
/// frames, to explain the figures of `vfs`. Not part of the benchmark; prints text.
struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vfs-diagnose",
        abstract: "Statements and WAL frames per VFS call (explains the `vfs` figures).",
        shouldDisplay: false
    )

    @Option(help: ArgumentHelp("Where to create the temporary directory (default $TMPDIR or /tmp).", valueName: "dir"))
    var directory: String?

    func run() throws {
        let base = directory ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let root = base + "/openclaw-diagnose-\(getpid())"
        defer { try? Native.removeTree(root) }
        try statementCounts(root + "/queue")
        try walFrames(root + "/wal")
    }

    /// Every statement one call runs, on a single-connection database (rollback journal, so that
    /// reads and writes share the traced connection; the VFS issues the same SQL either way).
    func statementCounts(_ root: String) throws {
        let options = StateDatabaseOptions(journalPolicy: .rollback)
        let database = try StateDirectory(root: root, options: options).openAgent(AgentID.main, components: [AgentRuntime.fileSystemSchema])
        let workspace = try VirtualFileSystem(database: database).namespace("workspace")
        let data = Data(repeating: 7, count: 4096)
        for index in 0..<100 { try workspace.writeFile("/dir/f\(index)", contents: data) }
        let log = StatementLog()
        database.writeWithoutTransaction { db in
            db.trace(options: .statement) { event in log.append(event.description) }
        }
        func show(_ title: String, _ body: () throws -> Void) throws {
            log.reset()
            try body()
            let statements = log.drain()
            print("\(title): \(statements.count) statements")
            for statement in statements { print("    " + statement.replacingOccurrences(of: "\n", with: " ").prefix(160)) }
        }
        try show("readFile(/dir/f1) of 4 KiB") { _ = try workspace.readFile("/dir/f1") }
        try show("stat(/dir/f1)") { _ = try workspace.stat("/dir/f1") }
        try show("list(/dir) of 100 entries") { _ = try workspace.list("/dir") }
        try show("writeFile(/dir/f1, contents: 4 KiB), overwrite") { try workspace.writeFile("/dir/f1", contents: data) }
        try show("writeFile(/dir/new, contents: 4 KiB), new file") { try workspace.writeFile("/dir/new", contents: data) }
        database.writeWithoutTransaction { db in db.trace(options: .statement, nil) }
        let plan = try database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT path, kind, mode, size, mtime_ns, ctime_ns, content_id, metadata_json FROM vfs_entries WHERE namespace = ? AND parent = ? ORDER BY name",
                             arguments: ["workspace", "/dir"]).map { $0["detail"] as String }
        }
        print("query plan of the listing query: " + plan.joined(separator: "; "))
        let pageSize = try database.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0 }
        let layout = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT count(*), sum(inline_data IS NOT NULL) FROM vfs_contents")
        }
        print("page_size \(pageSize); contents \(layout?[0] ?? 0), inline \(layout?[1] ?? 0)")
    }

    /// WAL frames appended by one commit, with automatic checkpoints off.
    func walFrames(_ root: String) throws {
        let database = try StateDirectory(root: root).openAgent(AgentID.main, components: [AgentRuntime.fileSystemSchema])
        let workspace = try VirtualFileSystem(database: database).namespace("workspace")
        let pageSize = try database.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096 }
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let data = Data(repeating: 7, count: 4096)
        func frames(_ title: String, count: Int, _ body: (Int) throws -> Void) throws {
            let before = database.fileSizes().wal
            for index in 0..<count { try body(index) }
            let after = database.fileSizes().wal
            let perCall = Double(after - before) / Double(pageSize + 24) / Double(count)
            print(String(format: "%@: %.1f WAL frames (%.1f KiB) per call", title as NSString, perCall, perCall * Double(pageSize + 24) / 1024))
        }
        try frames("writeFile 4 KiB, new file", count: 200) { try workspace.writeFile("/w/f\($0)", contents: data) }
        try frames("writeFile 4 KiB, overwrite", count: 200) { try workspace.writeFile("/w/f\($0)", contents: data) }
        try frames("writeFile 1 KiB, overwrite", count: 200) { try workspace.writeFile("/w/f\($0)", contents: Data(repeating: 1, count: 1024)) }
        try frames("makeDirectory", count: 200) { try workspace.makeDirectory("/m\($0)") }
        var generator = SplitMix64(state: 1)
        let big = Data(generator.bytes(4 << 20))
        try frames("writeFile 4 MiB (64 chunks of 64 KiB)", count: 5) { try workspace.writeFile("/big\($0)", contents: big) }

        // The share of automatic checkpoints (run by the committing writer) in write latency.
        func timed(_ title: String, autocheckpoint: Int, count: Int, _ body: (Int) throws -> Void) throws {
            try database.writeWithoutTransaction { db in
                _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(autocheckpoint)")
            }
            sync()
            let seconds = try Stopwatch.time { for index in 0..<count { try body(index) } }
            print("\(title), wal_autocheckpoint=\(autocheckpoint): \(Format.time(seconds / Double(count))) per call")
        }
        for checkpoint in [1000, 0, 1000, 0] {
            try timed("writeFile 4 KiB overwrite x 2000", autocheckpoint: checkpoint, count: 2000) { try workspace.writeFile("/w/f\($0 % 200)", contents: data) }
        }
        let pattern = generator.bytes(1 << 20)
        for checkpoint in [1000, 0, 1000, 0] {
            try timed("writeFile(from:) 128 MiB", autocheckpoint: checkpoint, count: 1) { _ in
                var produced = 0
                try pattern.withUnsafeBytes { raw in
                    _ = try workspace.writeFile("/large") { buffer in LargeFile.produce(buffer, pattern: raw, produced: &produced, total: 128 << 20) }
                }
            }
        }
    }
}

/// Statements seen by a trace callback.
final class StatementLog: Sendable {
    private let statements = Mutex<[String]>([])

    func append(_ statement: String) { statements.withLock { $0.append(statement) } }
    func reset() { statements.withLock { $0.removeAll() } }
    func drain() -> [String] { statements.withLock { statements in defer { statements.removeAll() }; return statements } }
}
