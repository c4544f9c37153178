using System.CommandLine;
using System.Runtime.Versioning;
using PgHa.Lab;

namespace PgHa.Cli.Commands;

/// <summary><c>pgha lab ...</c>: bring the local three-host lab up and down, inspect it, inject faults.</summary>
[SupportedOSPlatform("linux")]
internal static class LabCommands
{
    private static readonly Option<string?> Directory = new("--lab-dir")
    {
        Description = $"Lab directory (default: ${LabOptions.DirectoryVariable} or {LabOptions.DefaultDirectory})",
        Recursive = true,
    };

    private static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Show every command the lab runs", Recursive = true };

    public static Command Create()
    {
        var lab = new Command("lab", "The local lab: pgha-master, pgha-slave, pgha-replica in namespaces on this machine (needs root)");
        lab.Add(Directory);
        lab.Add(Verbose);

        var skipPackages = new Option<bool>("--no-install") { Description = "Do not install missing Debian packages; fail instead" };
        var up = new Command("up", "Bring the lab up (installs missing packages first); does nothing if it is already up and healthy") { skipPackages };
        up.SetAction((parse, ct) => Run(parse, async lab =>
        {
            var result = await lab.UpAsync(ct);
            Console.WriteLine(result.AlreadyUp
                ? $"lab is already up and healthy; inventory: {result.InventoryFile}"
                : $"lab is up in {result.BringUpTime.TotalSeconds:0.0} s " +
                  $"({string.Join(", ", result.Steps.Select(s => $"{s.Step} {s.Duration.TotalSeconds:0.0}s"))}); inventory: {result.InventoryFile}");
            return 0;
        }, o => o with { InstallPackages = !parse.GetValue(skipPackages) }));

        var down = new Command("down", "Stop every lab process, remove namespaces, bridge, lab users and sudoers file, and verify");
        down.SetAction((parse, ct) => Run(parse, async lab =>
        {
            var result = await lab.DownAsync(ct);
            Console.WriteLine(result.ToString());
            return result.Clean ? 0 : 1;
        }));

        var status = new Command("status", "Show each lab host: running, link, sshd, postgres");
        status.SetAction((parse, _) => Run(parse, async lab =>
        {
            var result = await lab.StatusAsync();
            Console.WriteLine(result.ToString());
            return result.Healthy ? 0 : 3;
        }));

        lab.Add(up);
        lab.Add(down);
        lab.Add(status);
        lab.Add(FaultCommand());
        return lab;
    }

    private static Command FaultCommand()
    {
        var host = new Argument<string>("host") { Description = "pgha-master, pgha-slave or pgha-replica" };
        host.AcceptOnlyFromAmong([.. LabTopology.Hosts.Select(h => h.Name)]);
        var fault = new Command("fault", "Inject a fault into a lab host (tests and demos)");

        Command Fault(string name, string description, Func<LocalLab, string, Task<string>> action)
        {
            var command = new Command(name, description) { host };
            command.SetAction((parse, _) => Run(parse, async lab =>
            {
                Console.WriteLine(await action(lab, parse.GetValue(host)!));
                return 0;
            }));
            return command;
        }

        fault.Add(Fault("kill-postgres", "SIGKILL the host's postmaster(s), like a crash", async (lab, h) =>
        {
            var hit = await lab.KillPostgresAsync(h);
            return hit.Count == 0 ? $"no running postgres on {h}" : $"killed postgres {string.Join(", ", hit)} on {h}";
        }));
        fault.Add(Fault("cut-link", "Take the host's network link down", async (lab, h) => { await lab.CutLinkAsync(h); return $"link of {h} is down"; }));
        fault.Add(Fault("restore-link", "Bring the host's network link back up", async (lab, h) => { await lab.RestoreLinkAsync(h); return $"link of {h} is up"; }));
        fault.Add(Fault("stop-sshd", "Stop the host's sshd and drop its sessions", async (lab, h) => { await lab.StopSshdAsync(h, dropSessions: true); return $"sshd of {h} is stopped"; }));
        fault.Add(Fault("start-sshd", "Start the host's sshd again", async (lab, h) => { await lab.StartSshdAsync(h); return $"sshd of {h} is running"; }));
        return fault;
    }

    private static async Task<int> Run(ParseResult parse, Func<LocalLab, Task<int>> action, Func<LabOptions, LabOptions>? configure = null)
    {
        using var logging = CliLogging.Create(parse.GetValue(Verbose));
        var options = new LabOptions();
        if (parse.GetValue(Directory) is { Length: > 0 } dir) options = options with { LabDirectory = dir };
        if (configure is not null) options = configure(options);
        try
        {
            return await action(new LocalLab(options, logging));
        }
        catch (LabException e)
        {
            Console.Error.WriteLine("lab: " + e.Message);
            return 2;
        }
    }
}
