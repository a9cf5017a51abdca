import Foundation
import GRDB
import StateStore
import Testing
import VFS

/// Real writer processes killed at random points, and several processes on one database at once.
@Suite(.serialized) struct DurabilityTests {
    static let bigSize = 3 << 20
    static let treeFiles = 200

    /// Version `v` of the big file: every byte says which version it belongs to.
    static func big(_ version: UInt8) -> Data { Data(repeating: version, count: bigSize - Int(version) * 1000) }

    static func makeInputs(in directory: TemporaryDirectory) throws {
        for version: UInt8 in [1, 2] {
            try big(version).write(to: URL(fileURLWithPath: directory.path + "/big\(version)"))
            for index in 0..<treeFiles {
                try directory.write("tree\(version)/d\(index % 10)/f\(index)", "version \(version) of file \(index)\n" + String(repeating: "\(version)", count: index * 37))
            }
        }
    }

    /// Checks the invariants after a crash: integrity, every file whole and of one version,
    /// reference counts and counters exact.
    static func verify(_ state: String, integrity: Bool) throws {
        let database = try StateDirectory(root: state).openAgent(.main, components: [VirtualFileSystem.schema])
        defer { try? database.close() }
        let vfs = VirtualFileSystem(database: database)
        let workspace = try vfs.namespace("workspace")
        let big = try workspace.readFile("/big")
        #expect(big == Self.big(1) || big == Self.big(2), "the big file is partial: \(big.count) bytes")
        var versions = Set<String>()
        var count = 0
        try workspace.walk("/tree") { entry in
            guard !entry.isDirectory else { return }
            count += 1
            let text = String(decoding: try workspace.readFile(entry.path), as: UTF8.self)
            versions.insert(String(text.prefix(9)))
        }
        #expect(count == treeFiles)
        #expect(versions.count == 1, "an import was applied partly: \(versions)")
        try database.read { db in
            if integrity { #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"]) }
            let wrongRefs = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM vfs_contents c WHERE c.staging_since_ns IS NULL
                AND c.ref_count <> (SELECT count(*) FROM vfs_entries e WHERE e.content_id = c.id)
                """)
            #expect(wrongRefs == 0)
            let wrongCounters = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM vfs_namespaces n WHERE entry_count <> (SELECT count(*) FROM vfs_entries e WHERE e.namespace = n.name)
                OR byte_count <> (SELECT coalesce(sum(size), 0) FROM vfs_entries e WHERE e.namespace = n.name)
                """)
            #expect(wrongCounters == 0)
            let orphans = try Int.fetchOne(db, sql: "SELECT count(*) FROM vfs_entries e WHERE e.parent <> '/' AND NOT EXISTS (SELECT 1 FROM vfs_entries p WHERE p.namespace = e.namespace AND p.path = e.parent AND p.kind = 'directory')")
            #expect(orphans == 0)
        }
    }

    @Test func killedWritersLeaveTheOldStateOrTheNewNeverAHalf() throws {
        let directory = TemporaryDirectory()
        try Self.makeInputs(in: directory)
        let state = directory.path + "/state"
        let cli = CLIRunner(state: state)
        let batch = ["OPENCLAW_VFS_STAGING_BATCH_BYTES": "262144"]  // stage the big file in 12 transactions
        #expect(try cli.run(["vfs", "write", "/big", "--from", directory.path + "/big1"], environment: batch).status == 0)
        #expect(try cli.run(["vfs", "import", directory.path + "/tree1", "/tree"]).status == 0)

        let binary = CLIRunner.executable
        let loop = """
            export OPENCLAW_VFS_STAGING_BATCH_BYTES=262144
            while :; do
              for v in 2 1; do
                '\(binary)' vfs write /big --from '\(directory.path)/big'$v --state '\(state)' >/dev/null 2>&1
                '\(binary)' vfs import '\(directory.path)/tree'$v /tree --state '\(state)' >/dev/null 2>&1
              done
            done
            """
        var generator = SystemRandomNumberGenerator()
        let iterations = 30
        for iteration in 0..<iterations {
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/bin/sh")
            writer.arguments = ["-c", loop]
            try writer.run()
            usleep(UInt32.random(in: 30_000...700_000, using: &generator))
            // SIGKILL the loop's current openclaw child first, then the loop itself.
            _ = try CLIRunner.shell("pkill -KILL -P \(writer.processIdentifier) || true")
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            try Self.verify(state, integrity: iteration % 5 == 4)
        }
        // Abandoned staged uploads are invisible; collecting them leaves every invariant intact.
        let database = try StateDirectory(root: state).openAgent(.main, components: [VirtualFileSystem.schema])
        _ = try VirtualFileSystem(database: database).collectAbandonedUploads(olderThan: .zero)
        let staging = try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM vfs_contents WHERE staging_since_ns IS NOT NULL") }
        #expect(staging == 0)
        try database.close()
        try Self.verify(state, integrity: true)
    }

    @Test func severalProcessesWriteAndReadOneDatabaseAtOnce() throws {
        let directory = TemporaryDirectory()
        try Self.makeInputs(in: directory)
        let state = directory.path + "/state"
        let binary = CLIRunner.executable
        #expect(try CLIRunner(state: state).run(["vfs", "mkdir", "/shared"]).status == 0)
        var processes: [(String, Process)] = []
        func start(_ name: String, _ script: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "set -e\n" + script]
            try process.run()
            processes.append((name, process))
        }
        for writer in 0..<4 {
            try start("writer \(writer)", """
                for i in $(seq 1 15); do
                  printf 'writer \(writer) file %s' $i | '\(binary)' vfs write /shared/w\(writer)-$i --state '\(state)'
                done
                """)
        }
        try start("importer", "'\(binary)' vfs import '\(directory.path)/tree1' /imported --state '\(state)' >/dev/null")
        for reader in 0..<2 {
            try start("reader \(reader)", """
                for i in $(seq 1 15); do
                  '\(binary)' vfs ls -R / --state '\(state)' >/dev/null
                  '\(binary)' vfs du / --json --state '\(state)' >/dev/null
                done
                """)
        }
        for (name, process) in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(name) failed")
        }
        let database = try StateDirectory(root: state).openAgent(.main, components: [VirtualFileSystem.schema])
        defer { try? database.close() }
        let workspace = try VirtualFileSystem(database: database).namespace("workspace")
        for writer in 0..<4 {
            for index in 1...15 {
                #expect(try workspace.readFile("/shared/w\(writer)-\(index)") == Data("writer \(writer) file \(index)".utf8))
            }
        }
        #expect(try workspace.diskUsage("/imported").files == Int64(Self.treeFiles))
        #expect(try workspace.list("/shared").count == 60)
    }
}
