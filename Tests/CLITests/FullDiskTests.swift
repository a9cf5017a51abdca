import Foundation
import Testing

/// The state on a small loop-mounted ext4 filesystem (root, as CI runs), filled to the brim.
@Suite(.serialized) struct FullDiskTests {
    /// A 64 MiB ext4 filesystem mounted on a loop device for the test's length, with 4 KiB
    /// blocks as every ext4 over 512 MiB has (with 1 KiB blocks SQLite's `-shm` map can have
    /// holes, and a full disk then ends the process with SIGBUS: see docs/architecture.md).
    final class LoopFilesystem {
        let directory = TemporaryDirectory(prefix: "openclaw-fulldisk")
        var mountPoint: String { directory.path + "/mnt" }
        private(set) var mounted = false

        init(mebibytes: Int = 64) async throws {
            let image = directory.path + "/disk.img"
            let setup = try await CLIRunner.shellOff("""
                set -e
                truncate -s \(mebibytes)M '\(image)'
                mkfs.ext4 -q -F -m 0 -b 4096 '\(image)'
                mkdir -p '\(mountPoint)'
                mount -o loop '\(image)' '\(mountPoint)'
                """)
            guard setup.status == 0 else {
                Issue.record("cannot mount a loop filesystem (needs root, mkfs.ext4 and a loop device): \(setup.stderr)")
                throw CancellationError()
            }
            mounted = true
        }

        var freeBytes: Int64 {
            let values = try? FileManager.default.attributesOfFileSystem(forPath: mountPoint)
            return (values?[.systemFreeSize] as? NSNumber)?.int64Value ?? -1
        }

        deinit {
            if mounted { _ = try? CLIRunner.shell("umount '\(mountPoint)' || umount -l '\(mountPoint)'") }
        }
    }

    static func random(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        for index in stride(from: 0, to: count, by: 8) {
            withUnsafeBytes(of: generator.next()) { raw in
                for offset in 0..<min(8, count - index) { bytes[index + offset] = raw[offset] }
            }
        }
        return Data(bytes)
    }

    @Test func aFullDiskSaysENOSPCAndRemovalGivesTheSpaceBack() async throws {
        let disk = try await LoopFilesystem()
        let cli = CLIRunner(state: disk.mountPoint + "/state")
        let keep = Self.random(300_000)
        let note = Data("still here\n".utf8)
        #expect(try await cli.runOff(["vfs", "write", "/keep.bin"], stdin: keep).status == 0)
        #expect(try await cli.runOff(["vfs", "write", "/notes/a.txt"], stdin: note).status == 0)

        // Fill it: 8 MiB files until a write fails.
        var written: [String] = []
        var failure: CLIRunner.Result?
        for index in 0..<20 {
            let result = try await cli.runOff(["vfs", "write", "/fill-\(index).bin"], stdin: Self.random(8 << 20))
            if result.status != 0 { failure = result; break }
            written.append("/fill-\(index).bin")
        }
        let full = try #require(failure, "64 MiB never filled up")
        #expect(full.status == 1)
        #expect(full.stderr.contains("(ENOSPC)"), "\(full.stderr)")
        #expect(written.count >= 3, "\(written)")

        // Fill the rest of the disk from outside, so that nothing is left at all.
        _ = try await CLIRunner.shellOff("dd if=/dev/zero of='\(disk.mountPoint)/filler' bs=64k 2>/dev/null; sync")
        #expect(disk.freeBytes < 1 << 20, "the disk is not full: \(disk.freeBytes)")
        let stillFull = try await cli.runOff(["vfs", "write", "/more.bin"], stdin: Self.random(1 << 20))
        #expect(stillFull.status == 1)
        #expect(stillFull.stderr.contains("(ENOSPC)"), "every failure for lack of space says ENOSPC: \(stillFull.stderr)")

        // Reads keep working.
        let ls = try await cli.runOff(["vfs", "ls", "/"])
        #expect(ls.status == 0, "\(ls.stderr)")
        #expect(ls.stdout.contains("keep.bin"))
        #expect(try await cli.runOff(["vfs", "cat", "/notes/a.txt"]).stdoutData == note)
        #expect(try await cli.runOff(["vfs", "cat", "/keep.bin"]).stdoutData == keep)

        // Removing works, and the space goes back to the filesystem.
        let before = disk.freeBytes
        let rm = try await cli.runOff(["vfs", "rm", written[0], written[1]])
        #expect(rm.status == 0, "\(rm.stderr)")
        let after = disk.freeBytes
        #expect(after - before >= 12 << 20, "free space \(before) -> \(after)")

        // Writing works again, and everything that survived is intact.
        let again = try await cli.runOff(["vfs", "write", "/after.bin"], stdin: Self.random(1 << 20))
        #expect(again.status == 0, "\(again.stderr)")
        for path in written.dropFirst(2) { #expect(try await cli.runOff(["vfs", "stat", path]).status == 0) }
        #expect(try await cli.runOff(["vfs", "cat", "/keep.bin"]).stdoutData == keep)
        let doctor = try await cli.runOff(["doctor"])
        #expect(doctor.stdout.contains("integrity: ok"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("0 damaged"), "\(doctor.stdout)")
        #expect(doctor.status != 65, "\(doctor.stdout)")
        #expect(doctor.stdout.contains("disk "), "doctor reports free space: \(doctor.stdout)")
    }
}
