import ArgumentParser

/// `openclaw vfs`: the agent's SQLite filesystem.
struct VFSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vfs",
        abstract: "Inspect and change an agent's SQLite filesystem.",
        discussion: "Every command takes --agent ID (default main), --ns NAME (default workspace) and --state DIR.",
        subcommands: [
            List.self, Cat.self, Stat.self, Write.self, MakeDirectory.self, Remove.self, Move.self, Copy.self,
            Find.self, DiskUsage.self, Import.self, Export.self, Namespaces.self, Fork.self, Diff.self, Quota.self,
            Mount.self, Unmount.self,
        ]
    )
}
