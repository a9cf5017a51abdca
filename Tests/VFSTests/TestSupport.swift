import Foundation
import GRDB
import Storage
import Testing
@_exported import TestSupport
@testable import VFS

/// A VFS over a real SQLite file in a temporary directory.
struct Fixture {
    /// The built-in namespaces the fixture declares, as the agent runtime does.
    static let builtInNamespaces = [NamespaceName.workspace, "skills"]

    let directory = TemporaryDirectory()
    let fileSystem: VirtualFileSystem

    init(limits: VFSLimits = VFSLimits(), journal: JournalPolicy? = nil) throws {
        let database = try StateDatabase(
            path: directory.path + "/agent.sqlite", identity: DatabaseIdentity(role: "agent", agentID: "test"),
            components: [VirtualFileSystem.schema(builtInNamespaces: Self.builtInNamespaces)],
            options: StateDatabaseOptions(journalPolicy: journal))
        fileSystem = VirtualFileSystem(database: database, limits: limits, builtInNamespaces: Self.builtInNamespaces)
    }

    var workspace: VFSNamespace { try! fileSystem.namespace("workspace") }

    func count(_ sql: String) throws -> Int {
        try fileSystem.database.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }
}

/// Runs `body`, expects a `VFSError` with `errno`, and returns it.
@discardableResult
func expectErrno(_ errno: Int32, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> VFSError? {
    do {
        try body()
        Issue.record("expected \(VFSError.name(of: errno)), nothing was thrown. \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
        return nil
    } catch let error as VFSError {
        #expect(error.errnoName == VFSError.name(of: errno), "\(error) \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected VFSError \(VFSError.name(of: errno)), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension Data {
    static func pattern(_ count: Int, seed: UInt8 = 0) -> Data {
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ Int(seed) &+ index >> 8) }
        return Data(bytes)
    }
}
