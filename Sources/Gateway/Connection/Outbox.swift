import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// What waits to be sent on one connection, bounded in bytes, written by one task in order.
///
/// Anything may enqueue from any task without waiting. A connection whose queue passes its bound
/// is a slow consumer: it is closed 1008 "slow consumer" and what it had queued is dropped, so
/// nothing else waits for it.
final class Outbox: Sendable {
    enum Item: Sendable {
        case text(String)
        case close(code: UInt16, reason: String)
    }

    private struct State {
        var queuedBytes = 0
        var closing = false
        /// Closing as a slow consumer: what is queued is dropped, not written.
        var slow = false
    }

    private let state = Mutex(State())
    private let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    let limit: Int

    init(limit: Int) {
        self.limit = limit
        (stream, continuation) = AsyncStream.makeStream(of: Item.self)
    }

    /// Queues a frame. Returns `false` when the connection is closing, or when the frame would
    /// pass the bound (the connection then closes as a slow consumer).
    @discardableResult
    func send(_ text: String) -> Bool {
        let size = text.utf8.count
        let verdict: Bool? = state.withLock { state in
            guard !state.closing else { return false }
            guard state.queuedBytes + size <= limit else {
                state.closing = true
                state.slow = true
                return nil
            }
            state.queuedBytes += size
            return true
        }
        switch verdict {
        case true?:
            continuation.yield(.text(text))
            return true
        case nil:
            continuation.yield(.close(code: GatewayCloseCode.policyViolation, reason: "slow consumer"))
            continuation.finish()
            return false
        case false?:
            return false
        }
    }

    /// Queues a close after what is queued; later frames are refused.
    func close(code: UInt16, reason: String) {
        let first = state.withLock { state in
            defer { state.closing = true }
            return !state.closing
        }
        guard first else { return }
        continuation.yield(.close(code: code, reason: reason))
        continuation.finish()
    }

    var isClosing: Bool { state.withLock { $0.closing } }

    /// Writes the queue to `outbound` until a close (or the socket fails). A slow consumer's
    /// queued frames are dropped: only its close is written. Returns when done.
    func drain(to outbound: WebSocketOutboundWriter, channel: any Channel) async {
        for await item in stream {
            switch item {
            case .text(let text):
                let dropping = state.withLock { state in
                    state.queuedBytes -= text.utf8.count
                    return state.slow
                }
                if dropping { continue }
                do { try await outbound.write(.text(text)) } catch {
                    channel.close(promise: nil)
                    return
                }
            case .close(let code, let reason):
                // A peer that reads nothing would never take the close frame: the socket goes
                // after a short grace either way.
                channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
                try? await outbound.close(WebSocketErrorCode(codeNumber: Int(code)), reason: reason)
                return
            }
        }
    }
}
