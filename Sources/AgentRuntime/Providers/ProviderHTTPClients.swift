import AsyncHTTPClient
import Logging
import Synchronization

/// The HTTP clients model requests go through: one per read timeout, each shared by every run of
/// the process and kept for its lifetime (as `HTTPClient.shared` is).
///
/// A provider's timeout is the longest silence it may keep, waiting for the answer's head or
/// between two reads of its body; AsyncHTTPClient enforces it as the client's read timeout, on the
/// connection's event loop, so a request needs no watchdog task of its own. The clients are
/// configured as `HTTPClient.shared` otherwise.
enum ProviderHTTPClients {
    private static let clients = Mutex<[Int: HTTPClient]>([:])

    /// The client whose read timeout is `milliseconds`.
    static func client(readTimeoutMilliseconds milliseconds: Int) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[milliseconds] { return client }
            var configuration = HTTPClient.Configuration.singletonConfiguration
            configuration.timeout.read = .milliseconds(Int64(milliseconds))
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
                                    backgroundActivityLogger: Logger(label: "openclaw.http", factory: { _ in SwiftLogNoOpLogHandler() }))
            clients[milliseconds] = client
            return client
        }
    }
}
