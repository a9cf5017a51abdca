import GRDB

/// The tables one module owns inside a database, with their versioned migration.
///
/// Each module declares one component. ``StateDatabase`` records each component's version in
/// `schema_components` and refuses a file whose component is newer than this build knows.
public struct SchemaComponent: Sendable {
    /// The component name, for example `vfs`.
    public var name: String
    /// The newest version this build creates and understands.
    public var version: Int
    /// Brings the component from `fromVersion` (0 when absent) to ``version``. Runs inside the
    /// opening write transaction.
    public var migrate: @Sendable (_ db: Database, _ fromVersion: Int) throws -> Void

    public init(name: String, version: Int, migrate: @escaping @Sendable (_ db: Database, _ fromVersion: Int) throws -> Void) {
        self.name = name
        self.version = version
        self.migrate = migrate
    }
}
