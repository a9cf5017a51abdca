import NIOCore

/// Calls `onClose` when the peer closes its side of the connection or the channel goes
/// inactive, and passes every event on unchanged.
///
/// For a route whose response outlives its request body (a stream of events): nothing reads the
/// socket meanwhile, so without it a client that went away is only noticed at the next write.
/// Added at the front of the pipeline, removed when the response ends. `onClose` may be called
/// more than once.
final class ChannelCloseObserver: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let onClose: @Sendable () -> Void

    init(onClose: @escaping @Sendable () -> Void) {
        self.onClose = onClose
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { onClose() }
        context.fireUserInboundEventTriggered(event)
    }
}
