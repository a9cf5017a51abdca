import Foundation
import Testing

/// Damaged, empty, newer and tampered databases, as a hostile or unlucky user would leave them:
/// every command tells the truth about them.
@Suite(.serialized) struct IntegrityTests {
    let directory = TemporaryDirectory()
    var cli: CLIRunner { CLIRunner(state: directory.path + "/state") }
    var agentDatabase: String { directory.path + "/state/agents/main/agent/openclaw-agent.sqlite" }

    /// 200 files of random bytes imported, one of them returned with its bytes.
    private func importRandomFiles() async throws -> (path: String, bytes: Data) {
        let source = directory.path + "/source"
        try FileManager.default.createDirectory(atPath: source + "/data", withIntermediateDirectories: true)
        var target = Data()
        for index in 0..<200 {
            var generator = SystemRandomNumberGenerator()
            let bytes = Data((0..<(20_000 + index * 97)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try bytes.write(to: URL(fileURLWithPath: source + "/data/file-\(index).bin"))
            if index == 137 { target = bytes }
        }
        let imported = try await cli.runOff(["vfs", "import", source, "/"])
        #expect(imported.status == 0, "\(imported.stderr)")
        return ("/data/file-137.bin", target)
    }

    /// Inverts 100 bytes of the database file in the middle of `bytes`, as a bad disk would.
    private func flipBytes(inDatabaseOf bytes: Data) async throws {
        var file = try Data(contentsOf: URL(fileURLWithPath: agentDatabase))
        let needle = bytes.subdata(in: 8000..<8064)
        let found = try #require(file.range(of: needle), "the content's bytes are not in the database file")
        for offset in found.lowerBound..<found.lowerBound + 100 { file[offset] ^= 0xFF }
        try file.write(to: URL(fileURLWithPath: agentDatabase))
    }

    @Test func flippedContentBytesAreDetectedEverywhere() async throws {
        let (path, bytes) = try await importRandomFiles()
        #expect(try await cli.runOff(["vfs", "cat", path]).stdoutData == bytes)
        let healthy = try await cli.runOff(["doctor"])
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
        #expect(healthy.stdout.contains("contents: 200 checked"), "\(healthy.stdout)")
        try await flipBytes(inDatabaseOf: bytes)

        let cat = try await cli.runOff(["vfs", "cat", path])
        #expect(cat.status == 65, "\(cat.stderr)")
        #expect(cat.stdoutData.count < bytes.count, "wrong bytes were served")
        #expect(cat.stderr.contains("cat \(path): Input/output error (EIO)"), "\(cat.stderr)")
        #expect(cat.stderr.contains("chunk 0"), "\(cat.stderr)")
        #expect(cat.stderr.contains("openclaw doctor"), "\(cat.stderr)")
        // The identity stays readable: stat does not read the bytes.
        #expect(try await cli.runOff(["vfs", "stat", path]).status == 0)
        let export = try await cli.runOff(["vfs", "export", "/data", directory.path + "/exported"])
        #expect(export.status != 0)
        #expect(export.stderr.contains("EIO"), "\(export.stderr)")

        let doctor = try await cli.runOff(["doctor"])
        #expect(doctor.status == 65, "\(doctor.stdout)")
        #expect(doctor.stdout.contains("integrity: ok"), "SQLite's own check passes: \(doctor.stdout)")
        #expect(doctor.stdout.contains("damaged file workspace:\(path)"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("1 damaged"), "\(doctor.stdout)")
        #expect(doctor.stdout.hasSuffix("damaged\n"))
        let json = try #require(try await cli.runOff(["doctor", "--json"]).json() as? [String: Any])
        #expect(json["damaged"] as? Bool == true)
        let quick = try await cli.runOff(["doctor", "--quick"])
        #expect(quick.status == 0, "--quick skips the contents: \(quick.stdout)")

        let archive = directory.path + "/backup.tar"
        let refused = try await cli.runOff(["backup", "create", "--output", archive])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("workspace:\(path)"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: archive))
        let allowed = try await cli.runOff(["backup", "create", "--output", archive, "--allow-damaged"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("damaged: workspace:\(path)"), "\(allowed.stdout)")
        #expect(FileManager.default.fileExists(atPath: archive))
    }

    @Test func anEmptyDatabaseFileIsRefusedAsDamaged() async throws {
        #expect(try await cli.runOff(["vfs", "write", "/a"], stdin: Data("a".utf8)).status == 0)
        for suffix in ["", "-wal", "-shm"] { _ = truncate(agentDatabase + suffix, 0) }
        let ls = try await cli.runOff(["vfs", "ls"])
        #expect(ls.status == 65, "\(ls.stderr)")
        #expect(ls.stderr.contains("is empty (0 bytes)"), "\(ls.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: agentDatabase)[.size] as? NSNumber)?.intValue
        #expect(size == 0, "the empty file was re-initialized")
        #expect(try await cli.runOff(["doctor"]).status == 65)
    }

    @Test func doctorShowsTheRealUserVersion() async throws {
        #expect(try await cli.runOff(["vfs", "write", "/a"], stdin: Data("a".utf8)).status == 0)
        let sqlite = try await CLIRunner.shellOff("sqlite3 '\(agentDatabase)' 'PRAGMA user_version = 99'")
        #expect(sqlite.status == 0, "\(sqlite.stderr)")
        let doctor = try await cli.runOff(["doctor"])
        #expect(doctor.status != 0)
        #expect(doctor.stdout.contains("user_version 99"), "\(doctor.stdout)")
    }

    @Test func tamperedRowsAreReportedByDoctor() async throws {
        #expect(try await cli.runOff(["vfs", "write", "/a"], stdin: Data("a".utf8)).status == 0)
        let sqlite = try await CLIRunner.shellOff("""
            sqlite3 '\(agentDatabase)' "INSERT INTO vfs_entries (namespace, path, parent, name, kind, mode, size, mtime_ns, ctime_ns) \
            VALUES ('workspace', '/..', '/', '..', 'directory', 493, 0, 1, 1)"
            """)
        #expect(sqlite.status == 0, "\(sqlite.stderr)")
        let doctor = try await cli.runOff(["doctor"])
        #expect(doctor.status == 1, "\(doctor.stdout)")
        #expect(doctor.stdout.contains("invalid entry row workspace:/.."), "\(doctor.stdout)")
    }

    @Test func aDatabaseCorruptMidQueryExits65() async throws {
        let (_, _) = try await importRandomFiles()
        // Overwrite the pages of the entry table (not the header, not the schema) with garbage.
        let pages = try await CLIRunner.shellOff("sqlite3 '\(agentDatabase)' \"SELECT pageno FROM dbstat WHERE name = 'vfs_entries'\"")
        let numbers = pages.stdout.split(separator: "\n").compactMap { UInt64($0) }
        #expect(!numbers.isEmpty, "\(pages.stderr)")
        let handle = try #require(FileHandle(forUpdatingAtPath: agentDatabase))
        for page in numbers {
            try handle.seek(toOffset: (page - 1) * 4096)
            try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
        }
        try handle.close()
        let find = try await cli.runOff(["vfs", "find", "/"])
        #expect(find.status == 65, "\(find.stderr)")
        #expect(find.stderr.contains("damaged"), "\(find.stderr)")
        let mountPoint = directory.path + "/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try await cli.runOff(["vfs", "mount", mountPoint, "--background"])
        if mount.status == 0 { _ = try await cli.runOff(["vfs", "umount", mountPoint]) }
        #expect(mount.status != 0, "the mount refuses a damaged database up front: \(mount.stdout)\(mount.stderr)")
        #expect((mount.stdout + mount.stderr).contains("damaged"), "\(mount.stdout)\(mount.stderr)")
    }

    @Test func stagedChunksOfAKilledUploadAreShownAndCollected() async throws {
        #expect(try await cli.runOff(["vfs", "write", "/a"], stdin: Data("a".utf8)).status == 0)
        let state = directory.path + "/state"
        // 40 MiB then a pause: the writer is killed while its upload is staged.
        let killed = try await CLIRunner.shellOff("""
            ( head -c 41943040 /dev/urandom; sleep 30 ) | '\(CLIRunner.executable)' vfs write /big --state '\(state)' & pid=$!
            for i in $(seq 1 100); do
              n=$(sqlite3 '\(agentDatabase)' "SELECT count(*) FROM vfs_chunks c JOIN vfs_contents s ON s.id = c.content_id WHERE s.staging_since_ns IS NOT NULL" 2>/dev/null || echo 0)
              [ "${n:-0}" -ge 512 ] && break
              sleep 0.2
            done
            kill -9 $pid; wait $pid 2>/dev/null; echo killed
            """)
        #expect(killed.stdout.contains("killed"), "\(killed.stderr)")
        let doctor = try await cli.runOff(["doctor", "--json"])
        let json = try #require(try doctor.json() as? [String: Any])
        let agent = try #require((json["databases"] as? [[String: Any]])?.first { $0["role"] as? String == "agent" })
        let staged = try #require(agent["stagedUploads"] as? [String: Any])
        #expect(staged["killed"] as? Int == 1, "\(staged)")
        #expect((staged["killedBytes"] as? Int ?? 0) >= 32 << 20, "\(staged)")
        #expect(doctor.status == 1)
        let fix = try await cli.runOff(["doctor", "--fix"])
        #expect(fix.stdout.contains("collected 1 staged upload"), "\(fix.stdout)")
        #expect(fix.stdout.contains("gave"), "the freed pages went back to the filesystem: \(fix.stdout)")
        #expect(fix.status == 0, "\(fix.stdout)")
        #expect(try await cli.runOff(["vfs", "cat", "/a"]).stdout == "a")
    }
}

extension IntegrityTests {
    @Test func doctorReportsReleasedContentsAndFixCollectsThemPastTheirGrace() async throws {
        #expect(try await cli.runOff(["vfs", "write", "/kept"], stdin: Data(String(repeating: "v1 ", count: 30_000).utf8)).status == 0)
        #expect(try await cli.runOff(["vfs", "write", "/kept"], stdin: Data("v2".utf8)).status == 0)
        func released() async throws -> [String: Any] {
            let json = try #require(try await cli.runOff(["doctor", "--json"]).json() as? [String: Any])
            let agent = try #require((json["databases"] as? [[String: Any]])?.first { $0["role"] as? String == "agent" })
            return try #require(agent["releasedContents"] as? [String: Any])
        }
        let before = try await released()
        #expect(before["count"] as? Int == 1 && before["bytes"] as? Int == 90_000, "the old version is kept for readers: \(before)")
        #expect(try await cli.runOff(["doctor"]).stdout.contains("1 released content(s) kept for open readers"))
        let early = try await cli.runOff(["doctor", "--fix"])
        #expect(!early.stdout.contains("collected 1 released") && early.stdout.contains("1 released content(s) kept"), "within its grace period it stays: \(early.stdout)")
        let fix = try await cli.runOff(["doctor", "--fix"], environment: ["OPENCLAW_VFS_RELEASED_GRACE_SECONDS": "0"])
        #expect(fix.stdout.contains("collected 1 released content(s) past their grace period"), "\(fix.stdout)")
        #expect(try await released()["count"] as? Int == 0)
        #expect(try await cli.runOff(["vfs", "cat", "/kept"]).stdout == "v2")
    }

    @Test func aNegativeQuotaIsEINVALNotAUsageError() async throws {
        let quota = try await cli.runOff(["vfs", "quota", "--max-bytes", "-1"])
        #expect(quota.status == 1, "\(quota.stderr)")
        #expect(quota.stderr.contains("(EINVAL)"), "\(quota.stderr)")
    }
}
