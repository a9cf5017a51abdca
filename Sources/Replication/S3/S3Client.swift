import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The few S3 calls replication makes itself (leases, listings, deletes), signed with SigV4 and
/// sent through AsyncHTTPClient. Litestream moves the databases; this moves small objects.
public struct S3Client: Sendable {
    public let bucket: String
    let endpoint: String?
    let signer: S3Signer
    let timeout: TimeAmount

    /// A condition on a write.
    public enum Condition: Sendable {
        case none
        /// Only when the object does not exist (`If-None-Match: *`).
        case absent
        /// Only when the object's ETag is this one (`If-Match`).
        case matches(String)
    }

    /// An object's body and ETag.
    public struct Object: Sendable {
        public var body: Data
        public var etag: String
    }

    public init(bucket: String, endpoint: String?, region: String, credentials: S3Credentials, timeout: TimeAmount = .seconds(5)) {
        self.bucket = bucket
        self.endpoint = endpoint
        self.signer = S3Signer(credentials: credentials, region: region)
        self.timeout = timeout
    }

    /// The client for a replica's bucket, with credentials from the environment.
    public init(settings: ReplicaSettings, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ReplicationError) {
        self.init(bucket: settings.replica.bucket, endpoint: settings.endpoint, region: settings.region, credentials: try S3Credentials.fromEnvironment(environment))
    }

    /// The URL of `key` (path style on an endpoint, virtual-hosted on AWS).
    func url(_ key: String, query: String = "") -> URL? {
        let path = key.isEmpty ? "" : "/" + key.split(separator: "/", omittingEmptySubsequences: false).map { S3Signer.uriEncode(String($0)) }.joined(separator: "/")
        let base = endpoint.map { "\($0)/\(bucket)" } ?? "https://\(bucket).s3.\(signer.region).amazonaws.com"
        return URL(string: base + (path.isEmpty ? "/" : path) + (query.isEmpty ? "" : "?" + query))
    }

    // MARK: Objects

    /// The object at `key`, or `nil` when there is none.
    public func get(_ key: String) async throws(ReplicationError) -> Object? {
        let response = try await send("GET", key)
        switch response.status {
        case 200: return Object(body: response.body, etag: response.etag ?? "")
        case 404: return nil
        default: throw failure("GET", key, response)
        }
    }

    /// Writes `body` at `key` under `condition`; returns the new ETag.
    /// - throws: ``ReplicationError/Code/preconditionFailed`` when the condition does not hold.
    @discardableResult
    public func put(_ key: String, body: Data, condition: Condition = .none) async throws(ReplicationError) -> String {
        var headers: [(String, String)] = [("content-type", "application/json")]
        switch condition {
        case .none: break
        case .absent: headers.append(("if-none-match", "*"))
        case .matches(let etag): headers.append(("if-match", etag))
        }
        let response = try await send("PUT", key, body: body, headers: headers)
        switch response.status {
        case 200: return response.etag ?? ""
        // 409: a concurrent conditional write to the same key won.
        case 412, 409: throw ReplicationError(.preconditionFailed, "the object s3://\(bucket)/\(key) changed (a conditional write failed)")
        default: throw failure("PUT", key, response)
        }
    }

    /// Deletes the object at `key` (no error when there is none).
    public func delete(_ key: String) async throws(ReplicationError) {
        let response = try await send("DELETE", key)
        guard response.status == 204 || response.status == 200 || response.status == 404 else { throw failure("DELETE", key, response) }
    }

    /// The keys under `prefix`, with their sizes, every page.
    public func list(prefix: String) async throws(ReplicationError) -> [(key: String, size: Int64)] {
        var keys: [(String, Int64)] = []
        var token: String?
        repeat {
            var query = "list-type=2&prefix=\(S3Signer.uriEncode(prefix))"
            if let token { query += "&continuation-token=\(S3Signer.uriEncode(token))" }
            let response = try await send("GET", "", query: query)
            guard response.status == 200 else { throw failure("LIST", prefix, response) }
            let listing = ListingParser.parse(response.body)
            keys += listing.contents
            token = listing.nextToken
        } while token != nil
        return keys
    }

    /// Deletes every object under `prefix`; returns how many.
    @discardableResult
    public func deleteAll(prefix: String) async throws(ReplicationError) -> Int {
        let keys = try await list(prefix: prefix)
        for (key, _) in keys { try await delete(key) }
        return keys.count
    }

    /// Creates the bucket (tests and benchmarks on a fresh object store).
    public func createBucket() async throws(ReplicationError) {
        let response = try await send("PUT", "")
        guard response.status == 200 || response.status == 409 else { throw failure("CREATE BUCKET", "", response) }
    }

    /// The Signature Version 4 headers of a request (`x-amz-date`, `x-amz-content-sha256`,
    /// `authorization`, and `x-amz-security-token` with a session token).
    public func signedHeaders(method: String, url: URL, body: Data, date: Date = Date()) -> [(String, String)] {
        signer.headers(method: method, url: url, body: body, date: date)
    }

    // MARK: Transport

    struct Response {
        var status: UInt
        var body: Data
        var etag: String?
    }

    private func send(_ method: String, _ key: String, query: String = "", body: Data = Data(), headers extra: [(String, String)] = []) async throws(ReplicationError) -> Response {
        guard let url = url(key, query: query) else {
            throw ReplicationError(.invalidSettings, "cannot make a URL for s3://\(bucket)/\(key)")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signer.headers(method: method, url: url, body: body) + extra { request.headers.add(name: name, value: value) }
        if !body.isEmpty || method == "PUT" { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 16 << 20)
            return Response(status: response.status.code, body: Data(bytes.readableBytesView), etag: response.headers.first(name: "etag"))
        } catch {
            throw ReplicationError(.objectStore, "\(method) s3://\(bucket)/\(key): the object store did not answer (\(error))",
                                   hint: "check --s3-endpoint and that the store is reachable")
        }
    }

    private func failure(_ operation: String, _ key: String, _ response: Response) -> ReplicationError {
        let text = String(decoding: response.body.prefix(400), as: UTF8.self)
        let code = ListingParser.value(of: "Code", in: text) ?? "HTTP \(response.status)"
        return ReplicationError(.objectStore, "\(operation) s3://\(bucket)/\(key) failed: \(code)",
                                hint: response.status == 403 ? "check the AWS credentials in the environment" : nil)
    }
}

/// Reads the parts of a ListObjectsV2 answer that listings need.
enum ListingParser {
    static func parse(_ body: Data) -> (contents: [(key: String, size: Int64)], nextToken: String?) {
        let text = String(decoding: body, as: UTF8.self)
        var contents: [(String, Int64)] = []
        var rest = text[...]
        while let start = rest.range(of: "<Contents>"), let end = rest.range(of: "</Contents>", range: start.upperBound..<rest.endIndex) {
            let item = String(rest[start.upperBound..<end.lowerBound])
            if let key = value(of: "Key", in: item) { contents.append((unescape(key), Int64(value(of: "Size", in: item) ?? "") ?? 0)) }
            rest = rest[end.upperBound...]
        }
        let truncated = value(of: "IsTruncated", in: text) == "true"
        return (contents, truncated ? value(of: "NextContinuationToken", in: text).map(unescape) : nil)
    }

    static func value(of element: String, in text: String) -> String? {
        guard let start = text.range(of: "<\(element)>"), let end = text.range(of: "</\(element)>", range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
