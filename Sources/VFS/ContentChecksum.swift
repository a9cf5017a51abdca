import CXXHash
import Foundation
import GRDB

/// The checksum every stored piece of content carries: XXH3-64 (xxHash) of its bytes, stored as
/// a signed 64-bit SQLite integer (the same bits).
///
/// Chosen for speed: XXH3 runs at memory bandwidth on SSE2 and NEON, which every x86-64 and
/// arm64 processor has, so it needs no processor detection and costs a few percent of a read.
/// It detects damage (flipped bits, torn or stale pages), not tampering: the file's SHA-256
/// stays its identity.
enum ContentChecksum {
    static func of(_ bytes: UnsafeRawBufferPointer) -> Int64 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return Int64(bitPattern: XXH3_64bits(nil, 0)) }
        return Int64(bitPattern: XXH3_64bits(base, bytes.count))
    }

    static func of(_ data: Data) -> Int64 {
        data.withUnsafeBytes { of($0) }
    }

    /// The SQL function `openclaw_xxh3(blob)`, used by the migration that gives existing
    /// contents their checksums.
    static let sqlFunction = DatabaseFunction("openclaw_xxh3", argumentCount: 1, pure: true) { values in
        guard let data = Data.fromDatabaseValue(values[0]) else { return nil }
        return of(data)
    }
}
