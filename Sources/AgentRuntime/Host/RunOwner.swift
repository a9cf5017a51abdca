import Foundation

/// The process running a run, as its `run_start` records it: enough for another process to tell
/// later whether that one is gone (killed with the run in flight), even once its pid is reused.
public struct RunOwner: Sendable, Equatable, Codable {
    /// The owner's process id.
    public var pid: Int32
    /// The kernel's boot id when the run started: a pid of another boot is another process.
    public var bootId: String
    /// The owner's start time, in clock ticks after boot (`/proc/<pid>/stat` field 22): a pid
    /// reused by a later process has another.
    public var startTicks: UInt64

    /// This process.
    public static let current = RunOwner(pid: getpid(), bootId: bootID() ?? "", startTicks: startTicks(of: getpid()) ?? 0)

    /// Whether the owner is still running: same boot, same pid, same start time, and not a zombie.
    public var isAlive: Bool {
        guard self != Self.current else { return true }
        guard bootId == Self.current.bootId, let (ticks, state) = Self.stat(of: pid) else { return false }
        return ticks == startTicks && state != "Z" && state != "X"
    }

    init(pid: Int32, bootId: String, startTicks: UInt64) {
        self.pid = pid
        self.bootId = bootId
        self.startTicks = startTicks
    }

    init?(_ json: JSONValue?) {
        guard let json, let pid = json["pid"]?.intValue, let boot = json["bootId"]?.stringValue, let ticks = json["startTicks"]?.int64Value else { return nil }
        self.init(pid: Int32(pid), bootId: boot, startTicks: UInt64(max(0, ticks)))
    }

    var json: JSONValue {
        ["pid": .int(Int(pid)), "bootId": .string(bootId), "startTicks": .int64(Int64(startTicks))]
    }

    private static func bootID() -> String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func startTicks(of pid: Int32) -> UInt64? { stat(of: pid)?.ticks }

    /// Field 22 (start time) and field 3 (state) of `/proc/<pid>/stat`; the command name in
    /// parentheses may hold spaces, so fields are counted after its closing parenthesis.
    private static func stat(of pid: Int32) -> (ticks: UInt64, state: Character)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 is fields[19].
        guard fields.count > 19, let state = fields[0].first, let ticks = UInt64(fields[19]) else { return nil }
        return (ticks, state)
    }
}
