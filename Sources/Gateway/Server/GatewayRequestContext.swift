import Hummingbird
import NIOCore

/// The context of one plain HTTP request to the gateway: Hummingbird's own storage, the peer's
/// address (which the bearer-token routes count failed checks by) and the connection's channel
/// (which a streamed response watches for the client's going away).
struct GatewayRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's IP address (`unknown` when the channel has none).
    let peer: String
    /// The connection.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
        channel = source.channel
    }
}
