import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Workload `cli-ls`: the `openclaw vfs ls -l` command itself (process start, database open, the
// listing and its output) against `/bin/ls -l` of the same files on the native filesystem.

extension VFSBenchRun {
    /// Entries of the directory listed by `cli-ls`.
    var cliListingEntries: Int { configuration.quick ? 10_000 : 100_000 }

    func cliListing() throws {
        let executable = OpenClawCLI.sibling()
        guard access(executable, X_OK) == 0 else {
            throw BenchError("cli-ls: no openclaw executable at \(executable); build it beside openclaw-bench")
        }
        let entries = cliListingEntries
        let label = Format.count(entries)
        let directory = nativeRoot + "/cli-ls"
        Log.info("cli-ls: creating \(label) empty files natively and importing them into the VFS")
        try Native.makeDirectories(directory)
        for index in 0..<entries { try Native.touch(directory + "/file-" + padded(index, 6) + ".txt") }
        try workspace.importDirectory(directory, to: "/cli-ls")

        var peaks: [String: Int] = [:]
        func timed(_ key: String, _ program: String, _ arguments: [String]) throws -> Sample {
            let sample = try measure(repetitions: repetitions) { try ChildProcess.runToDevNull(program, arguments) }
            peaks[key] = try ChildProcess.peakResidentKiB(program, arguments)
            return sample
        }
        func peak(_ key: String) -> String { peaks[key].map { Format.mebibytes(kib: $0) } ?? "not measured (no /usr/bin/time)" }
        Log.info("cli-ls: openclaw vfs ls -l of \(label) entries")
        let cli = try timed("cli", executable, ["vfs", "ls", "-l", "/cli-ls", "--state", stateRoot])
        Log.info("cli-ls: /bin/ls -l of \(label) entries")
        let native = try timed("native", "/bin/ls", ["-l", directory])
        var row = timeRow(id: "cli-ls", workload: "`openclaw vfs ls -l` of a \(label)-entry directory, the whole command, output to /dev/null (vs `/bin/ls -l` of the same files)",
                          vfs: cli, native: native, operations: nil, unit: "listing", goal: "within 2x (ratio >= 0.5)", minimum: 0.5)
        row.values["vfs_max_rss_kib"] = peaks["cli"].map(Double.init)
        row.values["native_max_rss_kib"] = peaks["native"].map(Double.init)
        row.notes.append("peak RSS (/usr/bin/time): openclaw \(peak("cli")), ls \(peak("native")). "
                         + "Both start a process; openclaw also opens the state database and checks its schema.")
        rows.append(row)

        Log.info("cli-ls: openclaw vfs ls --json of \(label) entries")
        let json = try timed("json", executable, ["vfs", "ls", "--json", "/cli-ls", "--state", stateRoot])
        var jsonRow = timeRow(id: "cli-ls-json", workload: "same, `openclaw vfs ls --json` (streamed; informational)",
                              vfs: json, native: native, operations: nil, unit: "listing", goal: "-", minimum: nil)
        jsonRow.values["vfs_max_rss_kib"] = peaks["json"].map(Double.init)
        jsonRow.notes.append("peak RSS (/usr/bin/time): openclaw \(peak("json")).")
        rows.append(jsonRow)
    }
}

/// A program run to completion with its standard output on /dev/null.
enum ChildProcess {
    /// Runs `program ARGUMENTS` (stdout to /dev/null, stderr inherited) and waits. Fails on a
    /// non-zero exit.
    static func runToDevNull(_ program: String, _ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchError("posix_spawn \(program): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw BenchError.system("waitpid", program) }
        }
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw BenchError("\(program) \(arguments.joined(separator: " ")) ended with wait status \(status)")
        }
    }

    /// The peak RSS in KiB of one more run, by GNU `/usr/bin/time -f %M`, or `nil` without it.
    /// (wait4's own `ru_maxrss` would count this process too: a spawned child's figure includes
    /// the memory of its parent before `exec`.)
    static func peakResidentKiB(_ program: String, _ arguments: [String]) throws -> Int? {
        guard access("/usr/bin/time", X_OK) == 0 else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%M", program] + arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("/usr/bin/time \(program): status \(process.terminationStatus): \(text)") }
        return text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
}
