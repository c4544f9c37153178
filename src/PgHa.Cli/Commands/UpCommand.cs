using System.CommandLine;
using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PgHa.Lab;
using PgHa.Server.Auth;
using PgHa.Server.Hosting;
using PgHa.Workflows.Clusters;

namespace PgHa.Cli.Commands;

/// <summary>
/// <c>pgha up</c>: the one-command start. Brings the lab up (it installs its own packages), builds the designer when
/// its sources changed, starts the server in this process, imports the lab's inventory, and prints the URL with an operator and an approver key.
/// Ctrl+C stops the server only: the lab keeps running so paused runs can resume at the next 'pgha up'
/// (pass --down-on-exit to also take the lab down).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class UpCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--urls") { Description = "Where the server listens", DefaultValueFactory = _ => ServerClient.DefaultServer };
        var noInstall = new Option<bool>("--no-install") { Description = "Do not install missing Debian packages for the lab; fail instead" };
        var noLab = new Option<bool>("--no-lab") { Description = "Only start the server (no lab, no cluster import)" };
        var downOnExit = new Option<bool>("--down-on-exit") { Description = "Take the lab down after the server stops" };
        var up = new Command("up", "Start everything: the lab, the server with the lab's cluster imported, and print keys") { url, noInstall, noLab, downOnExit, KeyCommands.Database };
        up.SetAction(async (parse, ct) =>
        {
            using var logging = CliLogging.Create(verbose: false);
            LocalLab? lab = null;
            try
            {
                if (!parse.GetValue(noLab))
                {
                    if (Environment.UserName != "root") throw new CliException("the lab needs root (network namespaces, users, packages); run as root or pass --no-lab", 2);
                    lab = new LocalLab(new LabOptions { InstallPackages = !parse.GetValue(noInstall) }, logging);
                    var result = await lab.UpAsync(ct);
                    Console.WriteLine(result.AlreadyUp ? "lab: already up" : $"lab: up in {result.BringUpTime.TotalSeconds:0.0} s");
                }

                var designer = await DesignerBuild.EnsureBuiltAsync(Console.Out, ct);
                var database = Path.GetFullPath(parse.GetValue(KeyCommands.Database)
                                                ?? (Environment.GetEnvironmentVariable("PGHA_DATABASE") is { Length: > 0 } env ? env : Path.Combine(".pgha", "pgha.db")));
                var args = new List<string> { "--urls", parse.GetValue(url)!, "--PgHa:Database", database };
                if (lab is not null) args.AddRange(["--PgHa:SecretsFile", lab.SecretsFile]);
                if (designer is not null) args.AddRange(["--PgHa:DesignerFolder", designer]);
                await using var app = PgHaServer.Build([.. args]);
                PgHaServer.EnsureFirstKey(app, Console.Out);
                await app.StartAsync(ct);

                if (lab is not null)
                {
                    var clusters = app.Services.GetRequiredService<ClusterDirectory>();
                    var imported = await clusters.ImportAsync(await File.ReadAllTextAsync(lab.InventoryFile, ct), "pgha up", ct);
                    Console.WriteLine($"cluster '{imported.Inventory.Id}' imported from {lab.InventoryFile}" + (imported.KeptRoles is { } kept ? $": {kept}" : ""));
                    // The lab's file follows the roles a failover handed over, so the next 'lab up' keeps them too.
                    await File.WriteAllTextAsync(lab.InventoryFile, imported.Inventory.ToJson(), ct);
                }
                // Keys are stored hashed and cannot be shown again, so 'up' issues fresh ones (revoking those of the last 'up').
                var keys = app.Services.GetRequiredService<ApiKeyFile>();
                var operatorKey = keys.Create("up-operator", Roles.Operator, replace: true);
                var approverKey = keys.Create("up-approver", Roles.Approver, replace: true);
                Console.WriteLine($"""

                    PgHaWorkflows is up at {parse.GetValue(url)}   (Ctrl+C stops the server{(parse.GetValue(downOnExit) ? " and the lab" : "; the lab keeps running")})
                      operator key:  {operatorKey}
                      approver key:  {approverKey}
                      export PGHA_SERVER={parse.GetValue(url)} PGHA_API_KEY={operatorKey}
                      pgha runbooks list

                    """);
                await app.WaitForShutdownAsync(CancellationToken.None);
                return 0;
            }
            catch (CliException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return e.ExitCode;
            }
            catch (ServerConfigurationException e)
            {
                Console.Error.WriteLine("server: " + e.Message);
                return 2;
            }
            catch (LabException e)
            {
                Console.Error.WriteLine("lab: " + e.Message);
                return 2;
            }
            finally
            {
                if (lab is not null && parse.GetValue(downOnExit))
                    Console.WriteLine((await lab.DownAsync(CancellationToken.None)).ToString());
            }
        });
        return up;
    }
}
