import AgentRuntime
import Crypto
import Foundation
import Storage

/// The params of the first request, `connect`, validated (OpenClaw's closed schema).
struct ConnectRequest: Sendable {
    var minProtocol: Int
    var maxProtocol: Int
    var clientID: String
    var clientVersion: String
    var platform: String
    var mode: String
    var deviceFamily: String?
    var role: String
    var scopes: [String]
    var caps: Set<String>
    var token: String?
    var device: Device?

    struct Device: Sendable {
        var id: String
        var publicKey: String
        var signature: String
        var signedAt: Int64
        var nonce: String
    }

    static let clientIDs: Set<String> = [
        "cli", "gateway-client", "webchat", "webchat-ui", "openclaw-control-ui", "openclaw-tui", "openclaw-macos", "openclaw-linux",
        "openclaw-ios", "openclaw-watchos", "openclaw-android", "node-host", "openclaw-worker", "openclaw-probe", "openclaw-browser-copilot",
        "test", "fingerprint",
    ]
    static let modes: Set<String> = ["cli", "ui", "webchat", "backend", "node", "worker", "probe", "test"]
    static let keys: Set<String> = ["minProtocol", "maxProtocol", "client", "role", "scopes", "caps", "commands", "permissions", "pathEnv",
                                    "auth", "device", "locale", "userAgent"]

    /// Validates `connect` params; a failure is `INVALID_REQUEST` "invalid connect params: ...",
    /// closing the connection (1008).
    static func parse(_ values: [String: JSONValue]) throws(GatewayError) -> ConnectRequest {
        let params = Params("connect", values)
        func fail(_ why: String) -> GatewayError { params.fail(why) }
        do throws(GatewayError) {
            try params.only(keys)
            guard let minimum = try params.int("minProtocol", in: 1...1_000_000), let maximum = try params.int("maxProtocol", in: 1...1_000_000) else {
                throw fail("minProtocol and maxProtocol are required")
            }
            guard minimum <= maximum else { throw fail("minProtocol is above maxProtocol") }
            guard let client = try params.object("client") else { throw fail("client is required") }
            let clientParams = Params("connect", client)
            try clientParams.only(["id", "version", "platform", "mode", "displayName", "deviceFamily", "modelIdentifier", "instanceId"])
            let id = try clientParams.requiredString("id").lowercased()
            guard clientIDs.contains(id) else { throw fail("client.id \(id.debugDescription) is not a known client id") }
            let version = try clientParams.requiredString("version")
            let platform = try clientParams.requiredString("platform")
            guard !version.isEmpty, !platform.isEmpty else { throw fail("client.version and client.platform must not be empty") }
            let mode = try clientParams.requiredString("mode")
            guard modes.contains(mode) else { throw fail("client.mode \(mode.debugDescription) is not one of \(modes.sorted().joined(separator: ", "))") }
            let role = try params.string("role") ?? "operator"
            guard role == "operator" || role == "node" else {
                throw GatewayError(.invalidRequest, "invalid role", closeCode: GatewayCloseCode.policyViolation)
            }
            let auth = try params.object("auth") ?? [:]
            let authParams = Params("connect", auth)
            var token = try authParams.string("token")
            if token == nil { token = try authParams.string("password") }
            var device: Device?
            if let block = try params.object("device") {
                let deviceParams = Params("connect", block)
                guard let signedAt = block["signedAt"]?.int64Value else { throw fail("device.signedAt must be an integer (ms)") }
                device = Device(id: try deviceParams.requiredString("id"), publicKey: try deviceParams.requiredString("publicKey"),
                                signature: try deviceParams.requiredString("signature"), signedAt: signedAt, nonce: try deviceParams.requiredString("nonce"))
            }
            return ConnectRequest(minProtocol: minimum, maxProtocol: maximum, clientID: id, clientVersion: version, platform: platform, mode: mode,
                                  deviceFamily: try clientParams.string("deviceFamily"), role: role, scopes: try params.strings("scopes") ?? [],
                                  caps: Set(try params.strings("caps") ?? []), token: token, device: device)
        } catch {
            // Every bad connect ends the connection.
            var failure = error
            if failure.closeCode == nil { failure.closeCode = GatewayCloseCode.policyViolation }
            throw failure
        }
    }

    /// The protocol both sides speak: the highest of the client's range the gateway serves.
    /// - throws: `INVALID_REQUEST` "protocol mismatch" with `details.code` `PROTOCOL_MISMATCH`, closing 1002.
    func negotiatedProtocol() throws(GatewayError) -> Int {
        let served = GatewayProtocol.oldest...GatewayProtocol.current
        let chosen = min(maxProtocol, served.upperBound)
        guard chosen >= minProtocol, served.contains(chosen) else {
            throw GatewayError(.invalidRequest, "protocol mismatch", details: [
                "code": "PROTOCOL_MISMATCH", "clientMinProtocol": .int(minProtocol), "clientMaxProtocol": .int(maxProtocol),
                "expectedProtocol": .int(GatewayProtocol.current), "minimumProtocol": .int(GatewayProtocol.oldest),
            ], closeCode: GatewayCloseCode.protocolError)
        }
        return chosen
    }

    /// Verifies the `device` block: the id is the hex SHA-256 of the raw Ed25519 key, the nonce the
    /// challenge's, `signedAt` within 10 minutes of now, and the signature over the v3 (else v2)
    /// payload valid. Any failure is `INVALID_REQUEST` with a `DEVICE_AUTH_*` code, closing 1008.
    func verifyDevice(nonce: String, now: Int64) throws(GatewayError) {
        guard let device else { return }
        func fail(_ message: String, _ code: String) -> GatewayError {
            GatewayError(.invalidRequest, message, details: ["code": .string(code)], closeCode: GatewayCloseCode.policyViolation)
        }
        guard let raw = Self.base64URLDecoded(device.publicKey), raw.count == 32,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw fail("device public key invalid", "DEVICE_AUTH_PUBLIC_KEY_INVALID")
        }
        let id = Array(SHA256.hash(data: raw)).lowercaseHex
        guard id == device.id.lowercased() else { throw fail("device identity mismatch", "DEVICE_AUTH_IDENTITY_MISMATCH") }
        guard abs(now - device.signedAt) <= 10 * 60 * 1000 else { throw fail("device signature expired", "DEVICE_AUTH_SIGNATURE_EXPIRED") }
        guard !device.nonce.isEmpty else { throw fail("device nonce required", "DEVICE_AUTH_NONCE_REQUIRED") }
        guard device.nonce == nonce else { throw fail("device nonce mismatch", "DEVICE_AUTH_NONCE_MISMATCH") }
        guard let signature = Self.base64URLDecoded(device.signature) else { throw fail("device signature invalid", "DEVICE_AUTH_SIGNATURE_INVALID") }
        let v2 = ["v2", device.id, clientID, mode, role, scopes.joined(separator: ","), String(device.signedAt), token ?? "", device.nonce].joined(separator: "|")
        let v3 = ["v3", device.id, clientID, mode, role, scopes.joined(separator: ","), String(device.signedAt), token ?? "", device.nonce,
                  platform.trimmingCharacters(in: .whitespaces).lowercased(), (deviceFamily ?? "").trimmingCharacters(in: .whitespaces).lowercased()]
            .joined(separator: "|")
        guard key.isValidSignature(signature, for: Array(v3.utf8)) || key.isValidSignature(signature, for: Array(v2.utf8)) else {
            throw fail("device signature invalid", "DEVICE_AUTH_SIGNATURE_INVALID")
        }
    }

    /// base64url (or plain base64), padded or not.
    static func base64URLDecoded(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// The protocol versions served.
public enum GatewayProtocol {
    /// The current protocol (v4: `chat` deltas carry `deltaText`).
    public static let current = 4
    /// The oldest served (v3: a `chat` delta carries the whole text so far).
    public static let oldest = 3
}
