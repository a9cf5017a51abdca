import Crypto
import Foundation
import StateStore
import Storage

/// The shared secret clients present in `connect` (`auth.token`) and as an HTTP bearer.
///
/// `OPENCLAW_GATEWAY_TOKEN` when set; otherwise the token stored in the state directory
/// (`gateway-token`, mode 0600), generated (32 random bytes, hex) on first use. Compared in
/// constant time; never printed but by `openclaw gateway token`, never logged.
public struct GatewayToken: Sendable {
    /// Where the token came from.
    public enum Source: String, Sendable {
        case environment
        case file
        case generated
    }

    let secret: [UInt8]
    public let source: Source

    /// The file of the state directory that holds a generated token.
    public static func path(in state: StateDirectory) -> String { state.root + "/gateway-token" }

    init(secret: String, source: Source) {
        self.secret = Array(secret.utf8)
        self.source = source
    }

    /// The token of `state`: the environment's, else the stored one, else a new one written
    /// 0600 (atomically: a second process starting at once reads the first one's).
    /// - throws: ``GatewayError`` when the stored token cannot be read or written.
    public static func load(state: StateDirectory, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatewayToken {
        if let value = environment["OPENCLAW_GATEWAY_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
            return GatewayToken(secret: value, source: .environment)
        }
        let path = Self.path(in: state)
        if let stored = try readStored(path) { return GatewayToken(secret: stored, source: .file) }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let token = bytes.lowercaseHex
        try FileManager.default.createDirectory(atPath: state.root, withIntermediateDirectories: true)
        // Written to a temporary file with mode 0600, then linked into place: an existing token
        // (another process was first) wins.
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw GatewayError(.unavailable, "cannot write the gateway token at \(path): \(String(cString: strerror(errno)))") }
        let data = Array((token + "\n").utf8)
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        defer { unlink(temporary) }
        guard written == data.count, synced == 0 else { throw GatewayError(.unavailable, "cannot write the gateway token at \(path)") }
        if link(temporary, path) != 0, errno != EEXIST {
            throw GatewayError(.unavailable, "cannot store the gateway token at \(path): \(String(cString: strerror(errno)))")
        }
        guard let stored = try readStored(path) else { throw GatewayError(.unavailable, "the gateway token at \(path) vanished") }
        return GatewayToken(secret: stored, source: stored == token ? .generated : .file)
    }

    /// The token a client of `state` presents: the environment's, else the stored one; `nil`
    /// when neither exists (no gateway has started there). Never generates one.
    public static func existing(state: StateDirectory, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatewayToken? {
        if let value = environment["OPENCLAW_GATEWAY_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
            return GatewayToken(secret: value, source: .environment)
        }
        return try readStored(path(in: state)).map { GatewayToken(secret: $0, source: .file) }
    }

    private static func readStored(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw GatewayError(.unavailable, "cannot read the gateway token at \(path)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw GatewayError(.unavailable, "the gateway token file \(path) is empty; delete it to generate a new one") }
        return token
    }

    /// The token, for `openclaw gateway token` and for clients of this machine.
    public var value: String { String(decoding: secret, as: UTF8.self) }

    /// Whether `candidate` is the token, in time independent of where they differ.
    public func matches(_ candidate: String) -> Bool {
        // Both sides hashed first: equal lengths, so the comparison's time says nothing.
        let expected = SHA256.hash(data: secret)
        let given = SHA256.hash(data: Array(candidate.utf8))
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
