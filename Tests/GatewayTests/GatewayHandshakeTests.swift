import AgentRuntime
import Crypto
import Foundation
import Gateway
import Testing

@Suite struct GatewayHandshakeTests {
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test func theChallengeComesFirstAndHelloOKDescribesTheServer() async throws {
        try await GatewayFixture.with { fixture in
            let exchange = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams())], readFor: .milliseconds(800))
            let challenge = try #require(exchange.frames.first)
            #expect(exchange.texts.first?.hasPrefix(#"{"type":"event","event":"connect.challenge","payload":{"#) == true, "the envelope's keys come first, in order")
            #expect(exchange.texts.dropFirst().first?.hasPrefix(#"{"type":"res","id":"1","ok":true,"payload":{"#) == true)
            #expect(challenge["type"] == "event")
            #expect(challenge["event"] == "connect.challenge")
            #expect(challenge["payload"]?["nonce"]?.stringValue?.isEmpty == false)
            #expect(challenge["payload"]?["ts"]?.int64Value != nil)
            let hello = try #require(exchange.frames.dropFirst().first)
            #expect(hello["type"] == "res")
            #expect(hello["ok"] == true)
            #expect(hello["error"] == nil, "a success carries no error key at all")
            let payload = try #require(hello["payload"])
            #expect(payload["type"] == "hello-ok")
            #expect(payload["protocol"] == 4)
            let methods = (payload["features"]?["methods"]?.arrayValue ?? []).compactMap { $0.stringValue }
            for method in ["chat.send", "chat.history", "chat.abort", "sessions.list", "agent", "agent.wait", "health"] {
                #expect(methods.contains(method))
            }
            #expect(!methods.contains("config.get"), "only what is served is listed")
            #expect(payload["snapshot"]?["sessionDefaults"]?["mainSessionKey"] == "agent:main:main")
            #expect(payload["auth"]?["role"] == "operator")
            #expect(payload["auth"]?["scopes"] == ["operator.read", "operator.write"])
            #expect(payload["policy"]?["maxPayload"] == .int(25 * 1024 * 1024))
            #expect(payload["policy"]?["tickIntervalMs"] == 30000)
        }
    }

    @Test func systemPresenceListsTheGatewayAndItsClientsButNotOneOffCLIConnections() async throws {
        try await GatewayFixture.with { fixture in
            var ui = GatewayClient.Identity()
            ui.clientID = "webchat-ui"
            ui.mode = "webchat"
            ui.version = "9.9.9"
            let presence = try await fixture.connect(identity: ui) { _ in
                try await fixture.connect { cli in try await cli.call("system-presence") }
            }
            let entries = try #require(presence.arrayValue)
            #expect(entries.count == 2, "the gateway and the webchat client; the cli connection asking is not listed: \(entries)")
            #expect(entries.first?["reason"] == "self")
            #expect(entries.first?["mode"] == "gateway")
            #expect(entries.first?["ts"]?.int64Value != nil)
            #expect(entries.last?["mode"] == "webchat")
            #expect(entries.last?["reason"] == "connect")
            #expect(entries.last?["version"] == "9.9.9")
            #expect(entries.last?["ip"] == "127.0.0.1")
            await #expect(throws: GatewayError.self) {
                try await fixture.connect { session in try await session.call("system-presence", params: ["extra": 1]) }
            }
        }
    }

    @Test func aWrongOrMissingTokenIsRefusedAndClosed1008() async throws {
        try await GatewayFixture.with { fixture in
            let wrong = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams(token: "nope"))])
            let refusal = try #require(wrong.frames.last)
            #expect(refusal["ok"] == false)
            #expect(refusal["payload"] == nil)
            #expect(refusal["error"]?["code"] == "INVALID_REQUEST")
            #expect(refusal["error"]?["details"]?["code"] == "AUTH_TOKEN_MISMATCH")
            #expect(refusal["error"]?["message"]?.stringValue?.contains("nope") == false, "the token is never echoed")
            #expect(wrong.closeCode == 1008)

            let missing = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams(token: .some(nil)))])
            #expect(missing.frames.last?["error"]?["details"]?["code"] == "AUTH_TOKEN_MISSING")
            #expect(missing.closeCode == 1008)
        }
    }

    @Test func repeatedFailuresFromOnePeerAreRateLimited() async throws {
        try await GatewayFixture.with(configure: { $0.maxAuthFailures = 3 }) { fixture in
            for _ in 0..<3 {
                _ = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams(token: "bad"))], readFor: .seconds(2))
            }
            // Even the right token waits now.
            let limited = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams())])
            let error = try #require(limited.frames.last?["error"])
            #expect(error["details"]?["code"] == "AUTH_RATE_LIMITED")
            #expect((error["retryAfterMs"]?.intValue ?? 0) > 0)
            #expect(limited.closeCode == 1008)
        }
    }

    @Test func theFirstFrameMustBeAConnectRequest() async throws {
        try await GatewayFixture.with { fixture in
            let other = try await rawExchange(fixture.url, send: [.request("sessions.list")])
            #expect(other.frames.last?["error"]?["message"] == "invalid handshake: first request must be connect")
            #expect(other.closeCode == 1008)

            let notRequest = try await rawExchange(fixture.url, send: [.text(#"{"type":"event","event":"x"}"#)])
            #expect(notRequest.closeCode == 1008)
            #expect(notRequest.frames.count == 1, "only the challenge")

            let badParams = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams(extra: ["surprise": true]))])
            #expect(badParams.frames.last?["error"]?["message"]?.stringValue?.hasPrefix("invalid connect params: unknown property") == true)
            #expect(badParams.closeCode == 1008)

            let badRole = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams(extra: ["role": "king"]))])
            #expect(badRole.frames.last?["error"]?["message"] == "invalid role")
            #expect(badRole.closeCode == 1008)
        }
    }

    @Test func noCommonProtocolIsAMismatchClosed1002AndProtocol3IsServed() async throws {
        try await GatewayFixture.with { fixture in
            let old = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams(minProtocol: 1, maxProtocol: 2))])
            let error = try #require(old.frames.last?["error"])
            #expect(error["code"] == "INVALID_REQUEST")
            #expect(error["message"] == "protocol mismatch")
            #expect(error["details"]?["code"] == "PROTOCOL_MISMATCH")
            #expect(error["details"]?["expectedProtocol"] == 4)
            #expect(old.closeCode == 1002)

            var v3 = GatewayClient.Identity()
            v3.minProtocol = 3
            v3.maxProtocol = 3
            let hello = try await fixture.connect(identity: v3) { session in session.hello.withLock { $0 } }
            #expect(hello["protocol"] == 3)
            let both = try await rawExchange(fixture.url, send: [.request("connect", params: fixture.connectParams(minProtocol: 3, maxProtocol: 9))],
                                             readFor: .milliseconds(500))
            #expect(both.frames.last?["payload"]?["protocol"] == 4, "the highest common version")
        }
    }

    @Test func anOversizedPreConnectFrameAndASilentClientAreClosed() async throws {
        try await GatewayFixture.with(configure: { $0.handshakeTimeout = .milliseconds(400) }) { fixture in
            let big = String(repeating: "x", count: 70 * 1024)
            let oversized = try await rawExchange(fixture.url, send: [.text(#"{"type":"req","id":"1","method":"connect","params":{"pad":""# + big + #""}}"#)])
            #expect(oversized.closeCode == 1009)
            #expect(oversized.frames.count == 1)

            let started = ContinuousClock.now
            let silent = try await rawExchange(fixture.url, send: [], readFor: .seconds(5))
            #expect(silent.closeCode == 1000)
            #expect(silent.closeReason == "handshake timeout")
            #expect(ContinuousClock.now - started < .seconds(4))
        }
    }

    @Test func aMalformedFrameAfterConnectIsAnsweredAndTheSocketStaysOpen() async throws {
        try await GatewayFixture.with { fixture in
            let exchange = try await rawExchange(fixture.url, send: [
                .request("connect", params: fixture.connectParams()),
                .text("not json"),
                .text(#"{"type":"req","method":"health"}"#),
                .binary(.init(bytes: [1, 2, 3])),
                .request("status", id: "after"),
            ], readFor: .seconds(2))
            let errors = exchange.frames.filter { $0["ok"] == false }
            #expect(errors.count == 3)
            #expect(errors.allSatisfy { $0["error"]?["code"] == "INVALID_REQUEST" })
            #expect(errors.first?["error"]?["message"]?.stringValue?.hasPrefix("invalid request frame") == true)
            let status = try #require(exchange.frames.first { $0["id"] == "after" })
            #expect(status["ok"] == true)
            #expect(exchange.closeCode == nil || exchange.closeCode == 1000)
        }
    }

    @Test func scopesAreEnforcedPerMethod() async throws {
        try await GatewayFixture.with { fixture in
            var reader = GatewayClient.Identity()
            reader.scopes = ["operator.read"]
            let outcome = try await fixture.connect(identity: reader) { session in
                let list = try await session.send("sessions.list")
                let send = try await session.send("chat.send", params: ["sessionKey": "main", "message": "hi", "idempotencyKey": "k1"])
                return (list.first, send.first)
            }
            #expect(outcome.0?["ok"] == true)
            let error = try #require(outcome.1?["error"])
            #expect(error["code"] == "FORBIDDEN")
            #expect(error["message"] == "missing scope: operator.write")
            #expect(error["details"]?["code"] == "MISSING_SCOPE")
            #expect(error["details"]?["missingScope"] == "operator.write")
            #expect(fixture.fake.requestCount == 0)
        }
    }

    @Test func aDeviceBlockIsVerified() async throws {
        try await GatewayFixture.with { fixture in
            let secret = Curve25519.Signing.PrivateKey().rawRepresentation
            let raw = try Curve25519.Signing.PrivateKey(rawRepresentation: secret).publicKey.rawRepresentation
            let id = SHA256.hash(data: raw).map { String(format: "%02x", $0) }.joined()
            let token = fixture.token
            /// Connects after reading the challenge, with a v2 signature over its nonce (or a
            /// wrong nonce, time, id, or a corrupted signature).
            func attempt(nonceOverride: String? = nil, signedAt: Int64 = Int64(Date().timeIntervalSince1970 * 1000), idOverride: String? = nil,
                         corrupt: Bool = false) async throws -> RawExchange {
                try await deviceExchange(fixture) { nonce in
                    let scopes = "operator.read,operator.write"
                    let deviceID = idOverride ?? id
                    let payload = ["v2", deviceID, "test", "test", "operator", scopes, String(signedAt), token, nonceOverride ?? nonce].joined(separator: "|")
                    var signature = try Curve25519.Signing.PrivateKey(rawRepresentation: secret).signature(for: Array(payload.utf8))
                    if corrupt { signature = Data(signature.reversed()) }
                    let params: JSONValue = [
                        "minProtocol": 4, "maxProtocol": 4, "client": ["id": "test", "version": "1.0", "platform": "linux", "mode": "test"],
                        "scopes": ["operator.read", "operator.write"], "auth": ["token": .string(token)],
                        "device": ["id": .string(deviceID), "publicKey": .string(Self.base64URL(raw)), "signature": .string(Self.base64URL(signature)),
                                   "signedAt": .int64(signedAt), "nonce": .string(nonceOverride ?? nonce)],
                    ]
                    return params
                }
            }
            #expect(try await attempt().frames.last?["ok"] == true)
            #expect(try await attempt(corrupt: true).frames.last?["error"]?["details"]?["code"] == "DEVICE_AUTH_SIGNATURE_INVALID")
            #expect(try await attempt(nonceOverride: "other").frames.last?["error"]?["details"]?["code"] == "DEVICE_AUTH_NONCE_MISMATCH")
            #expect(try await attempt(signedAt: 1_000).frames.last?["error"]?["details"]?["code"] == "DEVICE_AUTH_SIGNATURE_EXPIRED")
            let mismatch = try await attempt(idOverride: String(repeating: "0", count: 64))
            #expect(mismatch.frames.last?["error"]?["details"]?["code"] == "DEVICE_AUTH_IDENTITY_MISMATCH")
            #expect(mismatch.closeCode == 1008)
        }
    }
}
