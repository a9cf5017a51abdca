import Foundation
import GRDB
import Storage
import Synchronization
import Testing
@testable import VFS

/// The statements the VFS really runs for ls, walk, du, rm -r and mv of a directory are
/// explained: each search of `vfs_entries` uses the primary key or the parent index, none scans
/// it, and none uses LIKE or GLOB.
@Suite struct QueryPlanTests {
    @Test func listingWalkingRemovingAndMovingUseIndexes() throws {
        // A rollback-journal database has a single connection, so one trace sees every statement.
        let fixture = try Fixture(journal: .rollback)
        let ws = fixture.workspace
        for index in 0..<50 { try ws.writeFile("/dir/sub\(index % 5)/file\(index)", contents: Data("\(index)".utf8)) }
        try ws.writeFile("/other/x", contents: Data("x".utf8))

        let operations: [(String, () throws -> Void)] = [
            ("ls", { _ = try ws.list("/dir") }),
            ("walk", { try ws.walk("/dir") { _ in } }),
            ("du", { _ = try ws.diskUsage("/dir") }),
            ("mv", { try ws.move("/dir/sub1", to: "/other/moved") }),
            ("rm -r", { try ws.remove("/dir", recursive: true) }),
        ]
        let database = fixture.fileSystem.database
        for (operation, body) in operations {
            let captured = Captured()
            database.writeWithoutTransaction { db in
                db.trace(options: .statement) { event in
                    if case let .statement(statement) = event { captured.append(statement.expandedSQL) }
                }
            }
            try body()
            let plans = try database.writeWithoutTransaction { db in
                db.trace(options: [], nil)
                return try captured.all()
                    .filter { $0.contains("vfs_entries") && !$0.hasPrefix("--") && !$0.hasPrefix("INSERT") }
                    .map { sql in
                        (sql, try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: " | "))
                    }
            }
            #expect(!plans.isEmpty, "\(operation) ran no query on vfs_entries")
            for (sql, plan) in plans {
                // No table of the statement is scanned: every step is an index search.
                #expect(!plan.split(separator: "|").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("SCAN") }, "\(operation) scans: \(sql) -> \(plan)")
                #expect(plan.contains("SEARCH"), "\(operation): \(sql) -> \(plan)")
                #expect(!sql.uppercased().contains(" LIKE ") && !sql.uppercased().contains(" GLOB "), "\(operation): \(sql)")
            }
            let joined = plans.map(\.1).joined(separator: "\n")
            switch operation {
            case "ls": #expect(joined.contains("USING COVERING INDEX vfs_entries_by_parent"), "\(joined)")
            case "walk", "du", "mv", "rm -r": #expect(joined.contains("PRIMARY KEY (namespace=? AND path>? AND path<?)"), "\(operation): \(joined)")
            default: break
            }
        }
        #expect(try ws.list("/").map(\.name) == ["other"])
        #expect(try ws.list("/other/moved").count == 10)
    }
}

final class Captured: Sendable {
    private let statements = Mutex<[String]>([])
    func append(_ sql: String) { statements.withLock { $0.append(sql) } }
    func all() -> [String] { statements.withLock { $0 } }
}
