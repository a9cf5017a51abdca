import Foundation

/// One Server-Sent Event.
struct ServerSentEvent: Sendable, Equatable {
    var event: String?
    var data: String
}

/// Splits a byte stream into Server-Sent Events (lines `event:` and `data:`, a blank line ends an
/// event; `\n`, `\r\n` and `\r` line ends; comments ignored).
struct ServerSentEventParser {
    private var buffer: [UInt8] = []
    private var event: String?
    private var data: [String] = []
    private var sawCR = false
    /// The longest line accepted, so a broken stream cannot grow the buffer without bound.
    static let maxEventBytes = 16 << 20

    mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if sawCR {
                sawCR = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0A || byte == 0x0D {
                sawCR = byte == 0x0D
                if let event = line(String(decoding: buffer, as: UTF8.self)) { events.append(event) }
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.append(byte)
                if buffer.count > Self.maxEventBytes {
                    throw AgentRuntimeError(.provider, "a streamed event is larger than \(Self.maxEventBytes) bytes")
                }
            }
        }
        return events
    }

    /// The event left when the stream ends without a blank line.
    mutating func finish() -> ServerSentEvent? {
        if !buffer.isEmpty, let event = line(String(decoding: buffer, as: UTF8.self)) { return event }
        buffer.removeAll()
        return line("")
    }

    private mutating func line(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer { event = nil; data = [] }
            guard !data.isEmpty else { return nil }
            return ServerSentEvent(event: event, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}
