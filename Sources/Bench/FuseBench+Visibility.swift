import Foundation

extension FuseBenchRun {
    /// How long a change written by another process (`openclaw vfs write`) takes to show on the
    /// mount: from the writer's exit to the first `stat` (new file) or read (rewrite) on the mount
    /// that sees it, polled every 0.5 ms. The names are looked up before they exist, so a new
    /// file also tests that the cached absence (a negative entry) is dropped.
    func changeVisibility() throws {
        let samples = max(10, repetitions * 4)
        let probe = scratch + "/probe.txt"
        var created: [Double] = []
        var rewritten: [Double] = []
        func waitUntil(_ seen: () -> Bool) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            while !seen() {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if elapsed > 5 { throw BenchError("a change written by the CLI did not show on the mount within 5 s") }
                usleep(500)
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        Log.info("change visibility: \(samples) new files and \(samples) rewrites through `openclaw vfs write`")
        for index in 0..<samples {
            let name = "tree/visibility-\(index).txt"
            var info = stat()
            _ = stat(mountPoint + "/" + name, &info)  // cached as absent
            try "v1 \(index)\n".write(toFile: probe, atomically: true, encoding: .utf8)
            _ = try cli.run(["vfs", "write", "/" + name, "--from", probe, "--state", stateRoot])
            created.append(try waitUntil { stat(mountPoint + "/" + name, &info) == 0 })
            let rewrite = "v2 \(index) rewritten\n"
            try rewrite.write(toFile: probe, atomically: true, encoding: .utf8)
            _ = try cli.run(["vfs", "write", "/" + name, "--from", probe, "--state", stateRoot])
            rewritten.append(try waitUntil { (try? String(contentsOfFile: mountPoint + "/" + name, encoding: .utf8)) == rewrite })
        }
        for (id, label, sample) in [("visible-new", "a new file", Sample(seconds: created)), ("visible-rewrite", "a rewrite", Sample(seconds: rewritten))] {
            let worst = sample.maximum
            var row = FuseResultRow(id: id, workload: "\(label) written by `openclaw vfs write` shows on the mount (from the writer's exit)",
                                    command: "openclaw vfs write; stat or read on the mount until it shows", fuse: "median \(Format.time(sample.median)), max \(Format.time(worst))",
                                    native: "immediate", ratio: worst / 0.1, ratioMeaning: "slowest / 100 ms", goal: "<= 1.0 (within 100 ms)", met: worst <= 0.1,
                                    repetitions: samples, values: ["median_seconds": sample.median, "max_seconds": worst, "min_seconds": sample.minimum])
            row.notes.append("the change watcher polls the change log every 100 ms; the figure is that wait plus the invalidation and the lookup")
            rows.append(row)
            Log.info("   \(label): median \(Format.time(sample.median)), max \(Format.time(worst))")
        }
    }
}
