using System.CommandLine;

namespace PgHa.Cli.Commands;

/// <summary>The commands that talk to the server (plus keys and up), with --server/--key available on all of them.</summary>
internal static class ServerCommands
{
    public static IEnumerable<Command> Create()
    {
        var commands = new List<Command>
        {
            RunbookCommands.Create(), ClusterCommands.Create(), RunCommands.Run(), RunCommands.Runs(),
            RunCommands.Approve(), RunCommands.Approvals(), KeyCommands.Create(),
        };
        if (OperatingSystem.IsLinux()) commands.Add(UpCommand.Create());
        foreach (var command in commands)
        {
            command.Add(ServerClient.Server);
            command.Add(ServerClient.Key);
        }
        return commands;
    }
}
