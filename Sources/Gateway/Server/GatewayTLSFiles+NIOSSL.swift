import NIOSSL

extension GatewayTLSFiles {
    /// The server's TLS configuration, the files read now.
    /// - throws: ``GatewayError`` naming the file that cannot be read or parsed.
    func serverConfiguration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificatePath) } catch {
            throw GatewayError(.invalidRequest, "cannot read the TLS certificate \(certificatePath): \(error)")
        }
        guard !chain.isEmpty else { throw GatewayError(.invalidRequest, "the TLS certificate \(certificatePath) holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyPath, format: .pem) } catch {
            throw GatewayError(.invalidRequest, "cannot read the TLS private key \(keyPath): \(error)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    /// A client configuration that trusts this certificate and no other (a client of a gateway on
    /// the same machine, which can read its certificate, trusts it even when it is self-signed).
    /// The certificate is pinned, so the name in it is not checked against the URL's host.
    public func clientConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(certificatePath)
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }
}
