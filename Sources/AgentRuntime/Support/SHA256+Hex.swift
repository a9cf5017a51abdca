import Crypto
import Foundation

extension SHA256Digest {
    /// The digest in lowercase hex, as every `sha256` field holds it.
    var hex: String { lowercaseHex }
}

extension SHA256 {
    /// The SHA-256 of `data` in lowercase hex.
    static func hex(_ data: Data) -> String { hash(data: data).hex }
}
