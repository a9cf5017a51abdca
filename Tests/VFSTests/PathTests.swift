import Foundation
import Testing
@testable import VFS

@Suite struct PathTests {
    @Test(arguments: [
        ("", "/"), (".", "/"), ("/", "/"), ("//", "/"), ("a", "/a"), ("/a/", "/a"), ("a//b", "/a/b"),
        ("/a/./b/.", "/a/b"), ("/a/b/..", "/a"), ("../../etc/passwd", "/etc/passwd"), ("/..", "/"),
        ("/a/../../b", "/b"), ("a/b/../../..", "/"), ("/ space ", "/ space "), (" leading", "/ leading"),
        ("/...", "/..."), ("/a/..b", "/a/..b"), ("/é/日本", "/é/日本"), ("/a\\b", "/a\\b"), ("/%_*?[", "/%_*?["),
    ])
    func normalizes(input: String, expected: String) throws {
        #expect(try VFSPath(input).string == expected)
    }

    /// Hostile inputs and the errno each must get (a loop, so control characters stay out of
    /// test names in the log).
    @Test func rejectsHostileInputs() {
        let table: [(String, Int32)] = [
            ("/a\u{0}b", EINVAL), ("\u{0}", EINVAL), ("/a\nb", EINVAL), ("/a\tb", EINVAL), ("\u{1F}", EINVAL), ("/a\r", EINVAL),
            ("/../\u{1B}[2J", EINVAL),
            ("/" + String(repeating: "x", count: 256), ENAMETOOLONG),
            ("/ok/" + String(repeating: "é", count: 128), ENAMETOOLONG),
            (String(repeating: "/abcdefgh", count: 456), ENAMETOOLONG),
        ]
        for (input, errno) in table {
            expectErrno(errno, "\(input.debugDescription)") { _ = try VFSPath(input) }
        }
    }

    /// DEL and the C1 controls (U+0080-U+009F, among them the 8-bit CSI U+009B and NEL U+0085)
    /// are controls like the C0 ones, for the fast check and for full normalization alike.
    @Test func rejectsDELAndC1Controls() throws {
        for input in ["/a\u{7F}", "\u{7F}", "/\u{80}", "/x\u{85}y", "/\u{9B}2J", "/a/\u{9F}", "a/../\u{7F}", "//\u{90}"] {
            #expect(!VFSPath.isCanonical(input), "\(input.debugDescription)")
            let error = expectErrno(EINVAL, "\(input.debugDescription)") { _ = try VFSPath(input) }
            #expect(error?.detail?.contains("control") == true)
            expectErrno(EINVAL, "\(input.debugDescription)") { _ = try VFSPath(bytes: Array(input.utf8)) }
        }
        // Neighbours that are not controls: NBSP U+00A0 (C2 A0), U+0100 (C4 80), U+2080 (E2 82 80).
        for input in ["/a\u{A0}b", "/\u{A0}", "/\u{100}", "/\u{2080}", "/\u{7E}"] {
            #expect(VFSPath.isCanonical(input), "\(input.debugDescription)")
            #expect(try VFSPath(input).string.utf8.elementsEqual(input.utf8))
        }
    }

    /// Paths are bytes: canonically equivalent spellings are different paths, with different
    /// hashes, names and parents, and never contain one another.
    @Test func pathsCompareAndHashAsBytes() throws {
        let nfc = try VFSPath("/caf\u{E9}")
        let nfd = try VFSPath("/cafe\u{301}")
        #expect(nfc.string == nfd.string)  // what `String` says: canonical equivalence
        #expect(nfc != nfd)
        #expect(Set([nfc, nfd]).count == 2)
        #expect(nfd < nfc)  // byte order: "e" (65) CC 81 before C3 A9
        #expect(!nfc.contains(try VFSPath("/cafe\u{301}/x")))
        #expect(nfd.contains(try VFSPath("/cafe\u{301}/x")))
        let angstroms = try ["/\u{212B}", "/\u{C5}", "/A\u{30A}"].map { try VFSPath($0) }
        #expect(Set(angstroms).count == 3)
        #expect(Set(angstroms.map { PathKey($0.string) }).count == 3)
        #expect(Set(angstroms.map(\.string)).count == 1)  // why `Set<String>` must not hold paths
        // A component that starts with a combining mark: `/` + U+0301 is one `Character`.
        let combining = try VFSPath("/a/\u{301}x")
        #expect(combining.name.utf8.elementsEqual("\u{301}x".utf8))
        #expect(combining.parent.string.utf8.elementsEqual("/a".utf8))
        #expect(try VFSPath("/a").contains(combining))
        #expect(try VFSPath("/\u{301}").parent.isRoot)
        let entry = VFSEntry(path: "/a/\u{301}x", kind: .file, mode: 0o644, size: 0, mtimeNanoseconds: 0, ctimeNanoseconds: 0, sha256: nil, metadataJSON: "{}")
        #expect(entry.name.utf8.elementsEqual("\u{301}x".utf8))
    }

    @Test func pathKeysOrderAndPrefixByBytes() {
        var inodes: [PathKey: Int] = [:]
        for (index, name) in ["/caf\u{E9}", "/cafe\u{301}", "/\u{212B}", "/\u{C5}", "/A\u{30A}"].enumerated() {
            inodes[PathKey(name)] = index
        }
        #expect(inodes.count == 5)
        #expect(inodes[PathKey("/cafe\u{301}")] == 1)
        #expect(PathKey("/A\u{30A}") < PathKey("/\u{C5}"))
        #expect(PathKey("/\u{C5}") < PathKey("/\u{212B}"))
        #expect(PathKey.isPath("/a/b", atOrBeneath: "/a"))
        #expect(PathKey.isPath("/a", atOrBeneath: "/a"))
        #expect(PathKey.isPath("/a", atOrBeneath: "/"))
        #expect(!PathKey.isPath("/ab", atOrBeneath: "/a"))
        #expect(!PathKey.isPath("/cafe\u{301}/x", atOrBeneath: "/caf\u{E9}"))
        #expect(!PathKey.bytesEqual("caf\u{E9}", "cafe\u{301}"))
        #expect(PathKey.bytesEqual("caf\u{E9}", "caf\u{E9}"[...]))
    }

    @Test func acceptsLimits() throws {
        let longest = "/" + String(repeating: "x", count: 255)
        #expect(try VFSPath(longest).string == longest)
        let deep = String(repeating: "/abcdefg", count: 512)  // exactly 4096 bytes
        #expect(try VFSPath(deep).string == deep)
    }

    @Test func rejectsInvalidUTF8() {
        expectErrno(EILSEQ) { _ = try VFSPath(bytes: [0x2F, 0xFF, 0x61]) }
        expectErrno(EILSEQ) { _ = try VFSPath(bytes: [0x2F, 0xC3]) }
        expectErrno(EILSEQ) { _ = try VFSPath(bytes: [0x2F, 0xED, 0xA0, 0x80]) }  // a UTF-16 surrogate
    }

    /// Every random byte string either fails with a precise errno or gives a canonical path that
    /// normalizes to itself.
    @Test func randomBytesNormalizeCanonicallyOrFailPrecisely() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        let alphabet: [UInt8] = Array("/./..ab \u{7F}".utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF, 0x2F, 0x2E, 0x2E, 0xC2, 0x85, 0xA0]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &generator)
            var bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            if Int.random(in: 0..<50, using: &generator) == 0 {
                bytes += [UInt8](repeating: UInt8(ascii: "z"), count: Int.random(in: 250...300, using: &generator))
            }
            if let text = String(validating: bytes, as: UTF8.self) {
                // The allocation-free fast path agrees with full normalization.
                let normalized = try? VFSPath(bytes: bytes).string
                #expect(VFSPath.isCanonical(text) == (normalized == text), "\(text.debugDescription)")
            }
            do {
                let path = try VFSPath(bytes: bytes)
                let text = path.string
                #expect(text.hasPrefix("/"))
                #expect(!text.contains("//"))
                #expect(text == "/" || !text.hasSuffix("/"))
                let components = text.split(separator: "/")
                #expect(!components.contains(".."), "\(text)")
                #expect(!components.contains("."), "\(text)")
                #expect(try VFSPath(text).string == text)
                #expect(try VFSPath(bytes: Array(text.utf8)) == path)
            } catch let error as VFSError {
                #expect([EINVAL, EILSEQ, ENAMETOOLONG].contains(error.errno), "\(bytes): \(error)")
            }
        }
    }

    @Test func parentsNamesAndRanges() throws {
        let path = try VFSPath("/a/b/c")
        #expect(path.parent.string == "/a/b")
        #expect(path.name == "c")
        #expect(path.ancestors.map(\.string) == ["/a", "/a/b"])
        #expect(try VFSPath("/a").descendantRange == ("/a/", "/a0"))
        #expect(VFSPath.root.descendantRange == ("/", "0"))
        #expect(try VFSPath("/a").contains(VFSPath("/a/b")))
        #expect(try !VFSPath("/a").contains(VFSPath("/ab")))
    }
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
