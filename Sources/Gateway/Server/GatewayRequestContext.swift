import Hummingbird
import NIOCore

/// The context of one plain HTTP request to the gateway: Hummingbird's own storage and the
/// peer's address, which the bearer-token routes count failed checks by.
struct GatewayRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's IP address (`unknown` when the channel has none).
    let peer: String

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
