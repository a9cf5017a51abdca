import AgentRuntime
import Foundation
import GRDB
import StateStore
import Storage
import VFS
#if canImport(Glibc)
import Glibc
#endif

/// One run of `openclaw-bench vfs`: the state directory, the native directory, the results.
final class VFSBenchRun {
    let root: String
    let configuration: BenchConfiguration
    /// The fresh state root of this run, and the native twin directory beside it.
    let stateRoot: String
    let nativeRoot: String
    let database: StateDatabase
    let fileSystem: VirtualFileSystem
    let workspace: VFSNamespace
    var machine: MachineInfo
    var rows: [ResultRow] = []
    var notes: [String] = []
    /// 64 KiB of pseudo-random bytes that file contents are cut from.
    let pattern: [UInt8]

    var repetitions: Int { configuration.repetitions }

    init(root: String, configuration: BenchConfiguration) throws {
        self.root = root
        self.configuration = configuration
        stateRoot = root + "/state"
        nativeRoot = root + "/native"
        try Native.makeDirectories(nativeRoot)
        database = try StateDirectory(root: stateRoot).openAgent(AgentID.main, components: [AgentRuntime.fileSystemSchema])
        fileSystem = VirtualFileSystem(database: database)
        workspace = try fileSystem.namespace("workspace")
        var generator = SplitMix64(state: 42)
        pattern = generator.bytes(64 << 10)
        machine = MachineInfo.collect(directory: root)
        let (version, mode, synchronous) = try database.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "?",
             try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?",
             try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
        machine.sqliteVersion = version
        machine.journalMode = mode
        machine.synchronous = [0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"][synchronous] ?? String(synchronous)
        machine.journalReason = database.journalReason
        Log.info("state database \(database.path): sqlite \(version), journal_mode=\(mode), synchronous=\(machine.synchronous)")
    }

    func execute(_ selected: Set<String>) throws {
        try calibrate()
        if selected.contains("read") || selected.contains("stat") { try readAndStat(selected) }
        if selected.contains("ls") { try listings(["ls"]) }
        if selected.contains("cli-ls") { try cliListing() }
        if selected.contains("durable") { try durableWrites() }
        if selected.contains("import") { try importTree() }
        if selected.contains("large") { try largeFile() }
        // Last: its million native files make every later file creation on ext4 slower.
        if selected.contains("scale") { try listings(["scale"]) }
    }

    /// How fast this filesystem creates files right now. On ext4, inodes freed in the last
    /// minutes are skipped one by one when allocating (`recently_deleted`), so a run started
    /// soon after deleting a large tree sees much slower native creates.
    func calibrate() throws {
        let directory = nativeRoot + "/calibrate"
        try Native.makeDirectories(directory)
        let count = 1000
        let seconds = try Stopwatch.time {
            for index in 0..<count { try Native.touch(directory + "/f" + padded(index, 4)) }
        }
        let perFile = seconds / Double(count)
        Log.info("native create of an empty file: \(Format.time(perFile))")
        notes.append("native file creation on this filesystem at the start of the run: \(Format.time(perFile)) per empty file (create + close, 1000 files). "
                     + "On ext4 this is many times slower for a few minutes after a large tree was deleted (inode allocation skips recently freed inodes); "
                     + "run on a filesystem that has been quiet for 5 minutes.")
    }

    // MARK: - 1, 2: read and stat many small files

    func readAndStat(_ selected: Set<String>) throws {
        let count = configuration.files
        let fileSize = 4096
        let hostTree = nativeRoot + "/read"
        Log.info("creating \(count) files of 4 KiB in \(configuration.directories) directories, natively and in the VFS (importDirectory)")
        let relative = try Trees.make(root: hostTree, directories: configuration.directories,
                                      filesPerDirectory: count / configuration.directories, pattern: pattern) { _ in fileSize }
        try workspace.importDirectory(hostTree, to: "/read")
        let vfsPaths = relative.map { "/read/" + $0 }
        let hostPaths = relative.map { hostTree + "/" + $0 }
        let expected = count * fileSize
        let label = Format.count(count)

        if selected.contains("read") {
            try readRows(vfsPaths, hostPaths, expected: expected, label: label)
        }

        if selected.contains("stat") {
            try statRows(vfsPaths, hostPaths, size: Int64(fileSize), label: label)
        }
    }

    /// Rows 1 and 2 and their floors: every side measured in the same rounds, in turn
    /// (``measureInterleaved(repetitions:_:)``), so that each ratio compares like moments.
    private func readRows(_ vfsPaths: [String], _ hostPaths: [String], expected: Int, label: String) throws {
        let count = vfsPaths.count
        let workspace = self.workspace  // held in a local, as in the `stat` rows
        func check(_ total: Int, _ what: String) throws {
            guard total == expected else { throw BenchError("\(what) read \(total) bytes, not \(expected)") }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 64)
        defer { buffer.deallocate() }
        var unverifiedLimits = fileSystem.limits
        unverifiedLimits.verifiesChecksums = false
        let unverified = try VirtualFileSystem(database: database, limits: unverifiedLimits).namespace("workspace")
        let floors = [try SQLiteFloor(path: database.path), try SQLiteFloor(path: database.path, cacheKiB: 200_000),
                      try SQLiteFloor(path: database.path, mmapBytes: StateDatabaseOptions().lookupMmapSizeBytes)]
        let floorNames = ["default 2 MB page cache", "200 MB page cache", "default page cache and the VFS lookups' memory map (`mmap_size` \(Format.mebibytes(kib: StateDatabaseOptions().lookupMmapSizeBytes / 1024)))"]

        Log.info("1. read \(label) files, one call per file, in turn: VFS readFile, native open/read/close, the SQLite C API floors, VFS readFile unchecked")
        var perCall: [() throws -> Void] = [
            { var total = 0; for path in vfsPaths { total += try workspace.readFile(path).count }; try check(total, "readFile") },
            { var total = 0; for path in hostPaths { total += try Native.readFile(path, into: buffer) }; try check(total, "native") },
            { var total = 0; for path in vfsPaths { total += try unverified.readFile(path).count }; try check(total, "unchecked readFile") },
        ]
        for floor in floors {
            perCall.append { var total = 0; for path in vfsPaths { total += try floor.read("workspace", path) }; try check(total, "the C API") }
        }
        let alone = try measureInterleaved(repetitions: repetitions, perCall)
        Log.info("1. read \(label) files inside one read transaction, in turn: VFS readFile, the SQLite C API floors")
        var together: [() throws -> Void] = [
            { var total = 0; try self.inOneSnapshot { for path in vfsPaths { total += try workspace.readFile(path).count } }; try check(total, "readFile") },
        ]
        for floor in floors {
            together.append {
                var total = 0
                try floor.inOneTransaction { for path in vfsPaths { total += try floor.read("workspace", path) } }
                try check(total, "the C API")
            }
        }
        let batched = try measureInterleaved(repetitions: repetitions, together)

        rows.append(timeRow(id: "read", workload: "read \(label) files of 4 KiB, one call per file (VFS `readFile` vs open/read/close)",
                            vfs: alone[0], native: alone[1], operations: count, unit: "file", goal: "VFS faster (ratio > 1)", minimum: 1))
        var row = timeRow(id: "read-snapshot", workload: "same, the \(label) `readFile` calls inside one read transaction (informational)",
                          vfs: batched[0], native: alone[1], operations: count, unit: "file", goal: "-", minimum: nil)
        row.notes.append(Self.snapshotNote)
        rows.append(row)
        for (index, name) in floorNames.enumerated() {
            let judged = index == 0
            let suffix = ["", "-200mb", "-mmap"][index]
            var row = timeRow(id: "read-floor" + suffix, workload: "read \(label) files of 4 KiB, one call per file: VFS `readFile` vs the same lookups "
                                  + "through SQLite's C API (one connection, prepared statements, \(name): \(judged ? "the floor of this design" : "informational"))",
                              vfs: alone[0], native: alone[3 + index], operations: count, unit: "file",
                              goal: judged ? "within 1.3x of the floor (ratio >= 0.77)" : "-", minimum: judged ? 1 / 1.3 : nil)
            row.ratioMeaning = "floor/VFS time"
            rows.append(row)
            var snapshotRow = timeRow(id: "read-floor-snapshot" + suffix, workload: "same inside one read transaction on both sides (the VFS in one snapshot, "
                                          + "the C API between BEGIN and COMMIT), \(name)",
                                      vfs: batched[0], native: batched[1 + index], operations: count, unit: "file",
                                      goal: judged ? "within 1.1x of the floor (ratio >= 0.91)" : "-", minimum: judged ? 1 / 1.1 : nil)
            snapshotRow.ratioMeaning = "floor/VFS time"
            rows.append(snapshotRow)
        }
        var checkedRow = timeRow(id: "read-verified", workload: "read \(label) files of 4 KiB with checksums checked (VFS column) vs unchecked (baseline column), one `readFile` per file",
                                 vfs: alone[0], native: alone[2], operations: count, unit: "file", goal: ">= 0.95x (within 5%)", minimum: 0.95)
        checkedRow.ratioMeaning = "unchecked/checked time"
        rows.append(checkedRow)
    }

    /// The `stat` rows and their floor (the same statement through SQLite's C API, one
    /// connection, default page cache), per call and in one transaction, measured in turn.
    private func statRows(_ vfsPaths: [String], _ hostPaths: [String], size: Int64, label: String) throws {
        let count = vfsPaths.count
        // The namespace held in a local, as a caller's hot loop holds it: read from `self` on
        // each call, it would be copied (its name and filesystem retained and released) per call,
        // a cost of this loop that the floor's loop does not pay.
        let workspace = self.workspace
        let floor = try SQLiteFloor(path: database.path)
        let mappedFloor = try SQLiteFloor(path: database.path, mmapBytes: StateDatabaseOptions().lookupMmapSizeBytes)
        Log.info("2. stat \(label) paths, one call per path, in turn: VFS stat, native lstat, the SQLite C API floor")
        let alone = try measureInterleaved(repetitions: repetitions, [
            { for path in vfsPaths where try workspace.stat(path).size != size { throw BenchError("stat \(path): wrong size") } },
            { for path in hostPaths where try Native.lstatSize(path) != size { throw BenchError("lstat \(path): wrong size") } },
            { for path in vfsPaths where try floor.stat("workspace", path) != size { throw BenchError("the C API stat \(path): wrong size") } },
        ])
        Log.info("2. stat \(label) paths inside one read transaction, in turn: VFS stat, the SQLite C API floor")
        let together = try measureInterleaved(repetitions: repetitions, [
            {
                try self.inOneSnapshot {
                    for path in vfsPaths where try workspace.stat(path).size != size { throw BenchError("stat \(path): wrong size") }
                }
            },
            {
                try floor.inOneTransaction {
                    for path in vfsPaths where try floor.stat("workspace", path) != size { throw BenchError("the C API stat \(path): wrong size") }
                }
            },
            {
                try mappedFloor.inOneTransaction {
                    for path in vfsPaths where try mappedFloor.stat("workspace", path) != size { throw BenchError("the C API stat \(path): wrong size") }
                }
            },
        ])
        var row = timeRow(id: "stat", workload: "stat \(label) paths (VFS `stat` vs `lstat`)", vfs: alone[0], native: alone[1],
                          operations: count, unit: "path", goal: "-", minimum: nil)
        row.notes.append("VFS `stat` also loads the file's SHA-256 (joined in the same statement); `lstat` returns no hash.")
        rows.append(row)
        var snapshotRow = timeRow(id: "stat-snapshot", workload: "same, the \(label) `stat` calls inside one read transaction (informational)",
                                  vfs: together[0], native: alone[1], operations: count, unit: "path", goal: "-", minimum: nil)
        snapshotRow.notes.append(Self.snapshotNote)
        rows.append(snapshotRow)
        var floorRow = timeRow(id: "stat-floor", workload: "stat \(label) paths, one call per path: VFS `stat` vs the same statement through SQLite's C API "
                                   + "(one connection, a prepared statement, default page cache: the floor)",
                               vfs: alone[0], native: alone[2], operations: count, unit: "path",
                               goal: "within 1.3x of the floor (ratio >= 0.77)", minimum: 1 / 1.3)
        floorRow.ratioMeaning = "floor/VFS time"
        rows.append(floorRow)
        var floorSnapshotRow = timeRow(id: "stat-floor-snapshot", workload: "same inside one read transaction on both sides",
                                       vfs: together[0], native: together[1], operations: count, unit: "path",
                                       goal: "within 1.1x of the floor (ratio >= 0.91)", minimum: 1 / 1.1)
        floorSnapshotRow.ratioMeaning = "floor/VFS time"
        rows.append(floorSnapshotRow)
        var mappedRow = timeRow(id: "stat-floor-snapshot-mmap", workload: "same, the C API with the VFS lookups' memory map (`mmap_size` "
                                    + "\(Format.mebibytes(kib: StateDatabaseOptions().lookupMmapSizeBytes / 1024))) (informational)",
                                vfs: together[0], native: together[2], operations: count, unit: "path", goal: "-", minimum: nil)
        mappedRow.ratioMeaning = "floor/VFS time"
        rows.append(mappedRow)
    }

    static let snapshotNote = "the calls are made inside `VirtualFileSystem.snapshot { }`, where every VFS read runs on the snapshot's connection, in its "
        + "read transaction: no connection checkout, BEGIN/COMMIT or schema check per call."

    /// Runs `body` inside one VFS read transaction (``VirtualFileSystem/snapshot(_:)``).
    func inOneSnapshot(_ body: () throws -> Void) throws {
        try workspace.fileSystem.snapshot(body)
    }

    // MARK: - 3, 4: ls -l of 100 entries, and its cost in a 1M-entry namespace

    /// Creates `directory` with the 100 files that are listed.
    func makeListingDirectory(_ directory: String) throws {
        try Native.makeDirectories(directory)
        var generator = SplitMix64(state: 100)
        try pattern.withUnsafeBytes { raw in
            for index in 0..<configuration.listingEntries {
                let size = generator.next(in: 100...16_384)
                try Native.writeFile(directory + "/entry-" + padded(index, 3) + ".txt", UnsafeRawBufferPointer(rebasing: raw[index..<(index + size)]))
            }
        }
    }

    func listings(_ selected: Set<String>) throws {
        let entries = configuration.listingEntries
        let iterations = configuration.listingIterations
        // The small tree: the listed directory plus padding up to ~1k entries.
        let small = nativeRoot + "/ns1k"
        if !FileManager.default.fileExists(atPath: small) {
            try makeListingDirectory(small + "/ls")
            let padDirectories = max(0, (configuration.smallEntries - entries) / 100)
            try Trees.make(root: small + "/pad", directories: padDirectories, filesPerDirectory: 100, pattern: pattern) { _ in 64 }
            try workspace.importDirectory(small + "/ls", to: "/ls")
        }

        func vfsListing(_ namespace: VFSNamespace) throws -> Sample {
            try measure(repetitions: repetitions) {
                for _ in 0..<iterations where try namespace.list("/ls").count != entries { throw BenchError("list /ls: wrong count") }
            }
        }
        func nativeListing(_ directory: String) throws -> Sample {
            try measure(repetitions: repetitions) {
                for _ in 0..<iterations where try Native.listLong(directory) != entries { throw BenchError("ls -l \(directory): wrong count") }
            }
        }

        if selected.contains("ls") {
            Log.info("3. ls -l of \(entries) entries x \(iterations): VFS list")
            let vfs = try vfsListing(workspace)
            Log.info("3. ls -l of \(entries) entries x \(iterations): native readdir + lstat")
            let native = try nativeListing(small + "/ls")
            var row = timeRow(id: "ls", workload: "`ls -l` of a \(entries)-entry directory (VFS `list` vs readdir + lstat each + sort)",
                              vfs: vfs, native: native, operations: iterations, unit: "listing", goal: ">= 5x faster", minimum: 5)
            row.notes.append("native lists with readdir + fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) per entry and sorts by name, as `ls -l` does.")
            rows.append(row)
        }

        guard selected.contains("scale") else { return }
        let perDirectory = 1000
        let bulkDirectories = max(1, configuration.bigEntries / perDirectory)
        let bigLabel = Format.count(bulkDirectories * perDirectory)
        let smallLabel = Format.count(configuration.smallEntries)

        // The native big tree: the same listed directory beside bulk/dNNNN/fNNNN empty files.
        let big = nativeRoot + "/big"
        try makeListingDirectory(big + "/ls")
        Log.info("4. creating \(bigLabel) empty native files in \(bulkDirectories) directories")
        let nativeBuild = try Stopwatch.time {
            for directory in 0..<bulkDirectories {
                let path = big + "/bulk/d" + padded(directory, 4)
                try Native.makeDirectories(path)
                for file in 0..<perDirectory { try Native.touch(path + "/f" + padded(file, 4)) }
            }
        }

        // The VFS: a small database whose namespace has ~1k entries, and a big database whose
        // namespace has ~1M. Each in its own agent database, so that the small case really has a
        // small table; a third, ~1k namespace inside the big database shows the effect of the
        // shared table.
        let smallDatabase = try StateDirectory(root: stateRoot).openAgent(try AgentID("small"), components: [AgentRuntime.fileSystemSchema])
        let smallSpace = try VirtualFileSystem(database: smallDatabase).namespace("workspace")
        try smallSpace.importDirectory(small)
        let bigDatabase = try StateDirectory(root: stateRoot).openAgent(try AgentID("big"), components: [AgentRuntime.fileSystemSchema])
        let bigFileSystem = VirtualFileSystem(database: bigDatabase)
        let bigSpace = try bigFileSystem.namespace("workspace")
        let neighbour = try bigFileSystem.namespace("small")
        Log.info("4. building the \(bigLabel)-entry namespace: importDirectory of one 1000-file directory, then \(bulkDirectories - 1) x VirtualFileSystem.copy(recursive:)")
        var importSeconds = 0.0
        let vfsBuild = try Stopwatch.time {
            try bigSpace.importDirectory(small)
            importSeconds = try Stopwatch.time { try bigSpace.importDirectory(big + "/bulk/d0000", to: "/bulk/d0000") }
            for directory in 1..<max(1, bulkDirectories) {
                try bigFileSystem.copy("/bulk/d0000", from: "workspace", to: "/bulk/d" + padded(directory, 4), in: "workspace", recursive: true)
                if directory % 100 == 0 { Log.info("   \(directory) directories copied") }
            }
        }
        try neighbour.importDirectory(small)
        let bigCount = try bigFileSystem.namespaceInfo("workspace").entries
        let smallCount = try smallSpace.fileSystem.namespaceInfo("workspace").entries
        let sizes = bigDatabase.fileSizes()
        Log.info(String(format: "4. big namespace: %lld entries, built in %.1f s; database %.0f MiB", bigCount, vfsBuild, Double(sizes.database + sizes.wal) / 1_048_576))

        // Steady state: fold the build's WAL into the database files, as a checkpoint would.
        for database in [bigDatabase, smallDatabase] {
            try database.writeWithoutTransaction { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        sync()
        // Interleaved rounds (round 0 is the warm-up), so that load from other processes hits
        // the big and the small case alike.
        Log.info("4. listing in the \(bigLabel) and \(smallLabel) namespaces and trees, interleaved")
        let cases: [() throws -> Void] = [
            { for _ in 0..<iterations where try bigSpace.list("/ls").count != entries { throw BenchError("list /ls: wrong count") } },
            { for _ in 0..<iterations where try smallSpace.list("/ls").count != entries { throw BenchError("list /ls: wrong count") } },
            { for _ in 0..<iterations where try neighbour.list("/ls").count != entries { throw BenchError("list /ls: wrong count") } },
            { for _ in 0..<iterations where try Native.listLong(big + "/ls") != entries { throw BenchError("ls -l: wrong count") } },
            { for _ in 0..<iterations where try Native.listLong(small + "/ls") != entries { throw BenchError("ls -l: wrong count") } },
        ]
        var seconds = [[Double]](repeating: [], count: cases.count)
        for round in 0...repetitions {
            for (index, body) in cases.enumerated() {
                let time = try Stopwatch.time(body)
                if round > 0 { seconds[index].append(time) }
            }
        }
        let (vfsBig, vfsSmall, vfsNeighbour, nativeBig, nativeSmall) =
            (Sample(seconds: seconds[0]), Sample(seconds: seconds[1]), Sample(seconds: seconds[2]), Sample(seconds: seconds[3]), Sample(seconds: seconds[4]))
        let perListing = Double(iterations)
        let vfsRatio = vfsBig.median / vfsSmall.median
        let nativeRatio = nativeBig.median / nativeSmall.median
        var row = ResultRow(
            id: "scale", workload: "the same `ls -l` of \(entries) entries in a \(bigLabel)-entry vs a \(smallLabel)-entry namespace (native: tree of \(bigLabel) vs \(smallLabel) files)",
            vfs: "\(Format.time(vfsBig.median / perListing)) vs \(Format.time(vfsSmall.median / perListing))",
            native: "\(Format.time(nativeBig.median / perListing)) vs \(Format.time(nativeSmall.median / perListing)) (\(Format.ratio(nativeRatio)))",
            ratio: vfsRatio, ratioMeaning: "VFS \(bigLabel)/\(smallLabel) time", goal: "<= 1.2x", met: vfsRatio <= 1.2,
            repetitions: repetitions,
            values: ["vfs_big_seconds_per_listing": vfsBig.median / perListing, "vfs_small_seconds_per_listing": vfsSmall.median / perListing,
                     "vfs_neighbour_seconds_per_listing": vfsNeighbour.median / perListing,
                     "native_big_seconds_per_listing": nativeBig.median / perListing, "native_small_seconds_per_listing": nativeSmall.median / perListing,
                     "big_namespace_entries": Double(bigCount), "small_namespace_entries": Double(smallCount),
                     "vfs_build_seconds": vfsBuild, "native_build_seconds": nativeBuild])
        row.notes.append("measured after a WAL checkpoint, in \(repetitions) interleaved rounds (big, small, neighbour, native big, native small) after one warm-up round.")
        row.notes.append("namespaces: \(bigCount) entries (agent database `big`, \(String(format: "%.0f", Double(sizes.database + sizes.wal) / 1_048_576)) MiB) vs \(smallCount) entries (agent database `small`).")
        let neighbourCount = try bigFileSystem.namespaceInfo("small").entries
        row.notes.append("a \(neighbourCount)-entry namespace inside the big database (same tables as the \(bigLabel) entries) lists in "
                         + "\(Format.time(vfsNeighbour.median / perListing)) (\(Format.ratio(vfsNeighbour.median / vfsSmall.median)) the small database's time).")
        row.notes.append("building \(bigLabel) entries: VFS " + String(format: "%.1f s (importDirectory of 1000 files %.2f s, then %d x copy(recursive:) of that directory; the API has no bulk insert), native %.1f s to create the empty files.",
                                                                       vfsBuild, importSeconds, bulkDirectories - 1, nativeBuild))
        row.notes.append("VFS at \(bigLabel) vs native at \(bigLabel): " + Format.ratio(nativeBig.median / vfsBig.median) + " native/VFS time.")
        rows.append(row)
    }

    // MARK: - 5: durable single-file writes

    func durableWrites() throws {
        let count = configuration.durableWrites
        let data = Data(pattern[0..<4096])
        let vfsPaths = (0..<count).map { "/durable/w" + padded($0, 4) }
        let hostDirectory = nativeRoot + "/durable"
        try Native.makeDirectories(hostDirectory)
        let hostPaths = (0..<count).map { hostDirectory + "/w" + padded($0, 4) }
        let temporaries = (0..<count).map { hostDirectory + "/.w" + padded($0, 4) + ".tmp" }
        let flush = { sync() }

        Log.info("5. \(count) single-file 4 KiB writes: VFS writeFile(contents:) with synchronous=NORMAL")
        let vfs = try measure(repetitions: repetitions, setup: flush) {
            for path in vfsPaths { try workspace.writeFile(path, contents: data) }
        }
        Log.info("5. \(count) single-file 4 KiB writes: VFS writeFile(contents:) with synchronous=FULL (writer connection)")
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let vfsFull = try measure(repetitions: repetitions, setup: flush) {
            for path in vfsPaths { try workspace.writeFile(path, contents: data) }
        }
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        Log.info("5. \(count) single-file 4 KiB writes: native write temp + fsync + rename (and without fsync)")
        let (native, nativeNoSync) = try data.withUnsafeBytes { bytes in
            (try measure(repetitions: repetitions, setup: flush) {
                for index in 0..<count { try Native.durableReplace(hostPaths[index], temporary: temporaries[index], bytes) }
            },
             try measure(repetitions: repetitions, setup: flush) {
                for index in 0..<count { try Native.durableReplace(hostPaths[index], temporary: temporaries[index], bytes, sync: false) }
            })
        }
        var row = timeRow(id: "durable", workload: "single-file 4 KiB write, one transaction each (VFS `writeFile(contents:)`, WAL + synchronous=NORMAL, vs write temp + fsync + rename)",
                          vfs: vfs, native: native, operations: count, unit: "write", goal: ">= 5x faster", minimum: 5)
        row.notes.append("WAL with synchronous=NORMAL: a commit is atomic and survives a crash of the process, but is not fsync'ed, so the last commits can be lost on power failure; the native side fsyncs each file (not its directory).")
        rows.append(row)
        var full = timeRow(id: "durable-full", workload: "same, VFS with `PRAGMA synchronous=FULL` on the writer (fsync per commit; informational)",
                           vfs: vfsFull, native: native, operations: count, unit: "write", goal: "-", minimum: nil)
        full.notes.append("the like-for-like durability comparison: both sides fsync once per file.")
        rows.append(full)
        rows.append(timeRow(id: "durable-nosync", workload: "same, native without fsync (write temp + rename; the guarantee of synchronous=NORMAL; informational)",
                            vfs: vfs, native: nativeNoSync, operations: count, unit: "write", goal: "-", minimum: nil))
    }

    // MARK: - 6: import of a tree of small files

    func importTree() throws {
        let count = configuration.files
        let hostTree = nativeRoot + "/import-src"
        var generator = SplitMix64(state: 6)
        let sizes = (0..<count).map { _ in generator.next(in: 100...16_384) }
        Log.info("6. creating \(count) files of 100 B - 16 KiB in \(configuration.directories) directories")
        try Trees.make(root: hostTree, directories: configuration.directories, filesPerDirectory: count / configuration.directories, pattern: pattern) { sizes[$0] }
        let totalBytes = sizes.reduce(0, +)
        // Every repetition imports into a new namespace / copies into a new directory; nothing is
        // deleted between repetitions (deleting would slow the next native file creations).
        var round = 0
        Log.info("6. import: VFS importDirectory into a new namespace per repetition")
        let vfs = try measure(repetitions: repetitions, setup: { sync() }, teardown: { round += 1 }) {
            let report = try fileSystem.namespace("run:import-\(round)").importDirectory(hostTree)
            guard report.files == count else { throw BenchError("imported \(report.files) files, not \(count)") }
        }
        Log.info("6. import: /bin/cp -r into a new directory per repetition")
        round = 0
        let native = try measure(repetitions: repetitions, setup: { sync() }, teardown: { round += 1 }) {
            try runProcess("/bin/cp", ["-r", hostTree, nativeRoot + "/import-copy-\(round)"], captureOutput: false)
        }
        var row = timeRow(id: "import", workload: "import \(Format.count(count)) files of 100 B - 16 KiB (\(String(format: "%.0f", Double(totalBytes) / 1_048_576)) MiB) in \(configuration.directories) directories (`importDirectory` vs `/bin/cp -r`)",
                          vfs: vfs, native: native, operations: nil, unit: "", goal: "-", minimum: nil)
        row.values["bytes"] = Double(totalBytes)
        row.notes.append("the cp figure includes starting the process; neither side fsyncs (the import is one WAL transaction, synchronous=NORMAL).")
        rows.append(row)
    }

    // MARK: - 7: a large file, in child processes

    func largeFile() throws {
        let mebibytes = configuration.largeMiB
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        func child(_ part: String) throws -> LargeFileResult {
            Log.info("7. \(mebibytes) MiB file: \(part) side, in a child process")
            let output = try runProcess(executable, ["vfs-large", "--part", part, "--state", root + "/state-large", "--native", nativeRoot + "/large",
                                                     "--mebibytes", String(mebibytes), "--repetitions", String(configuration.largeRepetitions)])
            guard let line = output.split(separator: "\n").last else { throw BenchError("vfs-large \(part) printed nothing") }
            return try JSONDecoder().decode(LargeFileResult.self, from: Data(line.utf8))
        }
        let vfs = try child("vfs")
        let native = try child("native")
        let reps = configuration.largeRepetitions
        let size = Double(mebibytes)
        func throughput(_ sample: Sample) -> Double { size / sample.median }
        func cell(_ sample: Sample) -> String { String(format: "%.0f MiB/s", throughput(sample)) + " (\(Format.time(sample.median)))" }
        func throughputRow(id: String, workload: String, _ vfsSample: Sample, _ nativeSample: Sample) -> ResultRow {
            let ratio = throughput(vfsSample) / throughput(nativeSample)
            return ResultRow(id: id, workload: workload, vfs: cell(vfsSample), native: cell(nativeSample), ratio: ratio,
                             ratioMeaning: "VFS/native throughput", goal: ">= 0.5x", met: ratio >= 0.5, repetitions: reps,
                             values: ["vfs_seconds": vfsSample.median, "native_seconds": nativeSample.median, "mebibytes": size])
        }
        var write = throughputRow(id: "large-write", workload: "write a \(mebibytes) MiB file (VFS `writeFile(from:)` vs write + close, no fsync)", vfs.write, native.write)
        write.notes.append(String(format: "write(2) bytes per %d MiB file: VFS %.0f MiB (WAL + checkpoint into the database), native %.0f MiB.",
                                  mebibytes, Double(vfs.writeSyscallBytes) / 1_048_576, Double(native.writeSyscallBytes) / 1_048_576))
        rows.append(write)
        if let fsynced = native.writeFsync {
            rows.append(throughputRow(id: "large-write-fsync", workload: "write a \(mebibytes) MiB file (VFS vs write + fsync + close)", vfs.write, fsynced))
        }
        var read = throughputRow(id: "large-read", workload: "read a \(mebibytes) MiB file, page cache warm (VFS `streamFile` vs read in 1 MiB calls)", vfs.read, native.read)
        read.notes.append(String(format: "read(2) bytes per %d MiB file: VFS %.0f MiB, native %.0f MiB.",
                                 mebibytes, Double(vfs.readSyscallBytes) / 1_048_576, Double(native.readSyscallBytes) / 1_048_576))
        rows.append(read)
        if let unverified = vfs.readUnverified {
            let ratio = throughput(vfs.read) / throughput(unverified)
            rows.append(ResultRow(id: "large-read-verified", workload: "read the \(mebibytes) MiB file with checksums checked (VFS column) vs unchecked (baseline column), `streamFile`",
                                  vfs: cell(vfs.read), native: cell(unverified), ratio: ratio, ratioMeaning: "checked/unchecked throughput",
                                  goal: ">= 0.95x", met: ratio >= 0.95, repetitions: reps,
                                  values: ["checked_seconds": vfs.read.median, "unchecked_seconds": unverified.median, "mebibytes": size]))
        }
        var memory = ResultRow(
            id: "large-rss", workload: "peak RSS of a process writing then reading the \(mebibytes) MiB file (VmHWM)",
            vfs: "\(Format.mebibytes(kib: vfs.peakKiB)) (write \(Format.mebibytes(kib: vfs.peakWriteKiB)), read \(Format.mebibytes(kib: vfs.peakReadKiB)); at rest \(Format.mebibytes(kib: vfs.baselineRSSKiB)))",
            native: "\(Format.mebibytes(kib: native.peakKiB)) (at rest \(Format.mebibytes(kib: native.baselineRSSKiB)))",
            ratio: nil, ratioMeaning: "", goal: "VFS < 64 MiB", met: vfs.peakKiB < 64 * 1024, repetitions: reps,
            values: ["vfs_peak_kib": Double(vfs.peakKiB), "vfs_peak_write_kib": Double(vfs.peakWriteKiB), "vfs_peak_read_kib": Double(vfs.peakReadKiB),
                     "vfs_baseline_kib": Double(vfs.baselineRSSKiB), "native_peak_kib": Double(native.peakKiB), "native_baseline_kib": Double(native.baselineRSSKiB)])
        memory.notes.append("each side runs in its own child process (`openclaw-bench vfs-large`), so earlier workloads do not count"
                            + (vfs.peakResetWorked ? "; VmHWM is reset (clear_refs) before the write phase and before the read phase." : "."))
        rows.append(memory)
    }

    // MARK: - rows

    /// A row comparing times of the same work; ratio = native/VFS.
    func timeRow(id: String, workload: String, vfs: Sample, native: Sample, operations: Int?, unit: String, goal: String, minimum: Double?) -> ResultRow {
        func cell(_ sample: Sample) -> String {
            guard let operations else { return Format.time(sample.median) }
            return "\(Format.time(sample.median / Double(operations)))/\(unit) (\(Format.time(sample.median)) for \(Format.count(operations)))"
        }
        let ratio = native.median / vfs.median
        return ResultRow(id: id, workload: workload, vfs: cell(vfs), native: cell(native), ratio: ratio,
                         ratioMeaning: "native/VFS time", goal: goal, met: minimum.map { ratio >= $0 && (minimum != 1 || ratio > 1) },
                         repetitions: repetitions,
                         values: ["vfs_seconds": vfs.median, "native_seconds": native.median, "operations": Double(operations ?? 1),
                                  "vfs_min_seconds": vfs.minimum, "vfs_max_seconds": vfs.maximum,
                                  "native_min_seconds": native.minimum, "native_max_seconds": native.maximum])
    }
}
