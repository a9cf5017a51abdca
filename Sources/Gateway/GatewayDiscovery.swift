import AgentRuntime
import Foundation
import NIOSSL
import StateStore

/// Where a running gateway of a state directory says it listens: `<state>/gateway.json`
/// (`{pid, url, host, port, startedAt, tlsCertificate?}`), written when it is ready and removed when it stops, so
/// that `openclaw gateway status|call` on the same state directory find it.
public struct GatewayDiscovery: Sendable, Equatable {
    public var pid: Int32
    public var url: String
    public var host: String
    public var port: Int
    public var startedAt: Int64
    /// The certificate file a `wss://` gateway serves: a client on this machine trusts it.
    public var tlsCertificate: String?

    public init(pid: Int32, url: String, host: String, port: Int, startedAt: Int64, tlsCertificate: String? = nil) {
        self.pid = pid
        self.url = url
        self.host = host
        self.port = port
        self.startedAt = startedAt
        self.tlsCertificate = tlsCertificate
    }

    /// The TLS configuration to reach it: `nil` for `ws://`.
    public func clientTLS() throws -> TLSConfiguration? {
        guard let tlsCertificate else { return nil }
        return try GatewayTLSFiles(certificatePath: tlsCertificate, keyPath: "").clientConfiguration()
    }

    public static func path(in state: StateDirectory) -> String { state.root + "/gateway.json" }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["pid": .int(Int(pid)), "url": .string(url), "host": .string(host), "port": .int(port), "startedAt": .int64(startedAt)]
        if let tlsCertificate { object["tlsCertificate"] = .string(tlsCertificate) }
        return .object(object)
    }

    /// Writes the file atomically (a temporary file renamed into place).
    public func write(in state: StateDirectory) throws {
        let path = Self.path(in: state)
        let temporary = path + ".\(getpid()).tmp"
        try json.prettyText.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw GatewayError(.unavailable, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether `pid` is a live openclaw process: a process killed with SIGKILL leaves the file
    /// behind, and its pid may be a zombie not yet reaped, or reused by another program.
    static func isGateway(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the parenthesised command name: Z (zombie) and X (dead) are gone.
        if let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
            if state == "Z" || state == "X" { return false }
        }
        guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return true }
        return String(decoding: command, as: UTF8.self).contains("openclaw")
    }

    /// Removes the file if it is this process's.
    public static func remove(in state: StateDirectory, pid: Int32 = getpid()) {
        if let current = read(in: state), current.pid == pid { unlink(path(in: state)) }
    }

    /// The running gateway of `state`: `nil` when no file, or when its process is gone.
    public static func read(in state: StateDirectory) -> GatewayDiscovery? {
        guard let text = try? String(contentsOfFile: path(in: state), encoding: .utf8), let json = try? JSONValue.parse(text),
              let pid = json["pid"]?.intValue, let url = json["url"]?.stringValue, let host = json["host"]?.stringValue, let port = json["port"]?.intValue
        else { return nil }
        guard isGateway(pid_t(pid)) else { return nil }
        return GatewayDiscovery(pid: Int32(pid), url: url, host: host, port: port, startedAt: json["startedAt"]?.int64Value ?? 0,
                                tlsCertificate: json["tlsCertificate"]?.stringValue)
    }
}
