using System.CommandLine;
using PgHa.Cli.Commands;

var root = new RootCommand("pgha: PostgreSQL HA runbooks (switchover, failover, rebuild) over SSH");
// Each feature adds its own command group here.
if (OperatingSystem.IsLinux()) root.Add(LabCommands.Create());
foreach (var command in ServerCommands.Create()) root.Add(command);
return await root.Parse(args).InvokeAsync();
