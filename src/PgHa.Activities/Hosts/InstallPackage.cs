using System.ComponentModel;
using PgHa.Remote;
using PgHa.Workflows.Activities;

namespace PgHa.Activities.Hosts;

public sealed record InstallPackageInput
{
    [Description("Roles (master, slave, replica) or host names to install on.")]
    [ClusterReference(ClusterReferenceKind.Host)]
    public required IReadOnlyList<string> Hosts { get; init; }

    [Description("Debian package names, e.g. postgresql-15, pgbouncer.")]
    public required IReadOnlyList<string> Packages { get; init; }

    [Description("Seconds allowed per host for apt-get (update and install).")]
    public int TimeoutSeconds { get; init; } = 900;
}

[Activity("InstallPackage", Description = "Installs Debian packages with apt-get as the admin account (sudo -n); does nothing when all are installed.",
    Category = "Hosts", Mutates = true, PlansInDryRun = true)]
[ActivityOutput("versions", "Host name → package → installed version.")]
[ActivityOutput("installed", "Host name → packages this attempt installed (empty when all were there).")]
public sealed class InstallPackage : Activity<InstallPackageInput>
{
    protected override async Task<ActivityResult> ExecuteAsync(InstallPackageInput input, ActivityContext context)
    {
        ClusterHosts cluster;
        IReadOnlyList<HostRef> hosts;
        try
        {
            cluster = ClusterHosts.For(context);
            hosts = cluster.ResolveAll(input.Hosts, "hosts");
            foreach (var p in input.Packages)
                if (!Debian.IsPackageName(p)) throw new ActivityInputException($"packages: '{p}' is not a Debian package name");
            if (input.Packages.Count == 0) throw new ActivityInputException("packages: name at least one package");
        }
        catch (ActivityInputException e) { return ActivityResult.Failed(e.Message); }

        var timeout = TimeSpan.FromSeconds(Math.Max(30, input.TimeoutSeconds));
        var results = await HostFanOut.RunAsync(hosts, context, async (host, log) =>
        {
            var admin = cluster.Remote(host, HostAccount.Admin);
            var before = await Debian.QueryAsync(admin, input.Packages, log, context.CancellationToken);
            var missing = input.Packages.Where(p => !before.ContainsKey(p)).ToList();
            if (missing.Count == 0)
            {
                log("all packages installed: " + string.Join(", ", before.Select(kv => $"{kv.Key} {kv.Value}")));
                return (Versions: before, Installed: new List<string>());
            }
            var env = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
            var commands = new List<RemoteCommand>();
            // An apt killed mid-way leaves dpkg interrupted, and apt-get then refuses everything until it is finished.
            if (await Debian.InterruptedAsync(admin, log, context.CancellationToken))
                commands.Add(new RemoteCommand { Program = "dpkg", Arguments = ["--configure", "-a"], Sudo = true, Environment = env, Timeout = timeout });
            foreach (var args in new[]
                     {
                         new[] { "-o", "DPkg::Lock::Timeout=600", "update" },
                         ["-o", "DPkg::Lock::Timeout=600", "-o", "Dpkg::Options::=--force-confold", "install", "-y", "--no-upgrade", .. missing],
                     })
                commands.Add(new RemoteCommand { Program = "apt-get", Arguments = args, Sudo = true, Environment = env, Timeout = timeout });
            if (context.DryRun)
            {
                foreach (var command in commands) context.Plan($"{host.Name}: {command.Describe()}");
                return (Versions: before, Installed: new List<string>());
            }
            foreach (var command in commands)
            {
                log("$ " + command.Describe());
                await admin.RunAsync(command, line => log(line.Text), context.CancellationToken);
                context.Changed($"{host.Name}: {command.Describe()}");
            }
            var after = await Debian.QueryAsync(admin, input.Packages, log, context.CancellationToken);
            var still = input.Packages.Where(p => !after.ContainsKey(p)).ToList();
            if (still.Count > 0) throw new InvalidOperationException("apt-get succeeded but these are still not installed: " + string.Join(' ', still));
            return (Versions: after, Installed: missing);
        });

        var outputs = new
        {
            versions = results.Where(r => r.Succeeded).ToDictionary(r => r.Host.Name, r => r.Value.Versions),
            installed = results.Where(r => r.Succeeded).ToDictionary(r => r.Host.Name, r => r.Value.Installed),
        };
        return results.All(r => r.Succeeded) ? ActivityResult.Done(outputs) : ActivityResult.Failed(HostFanOut.Failures(results), outputs);
    }
}

internal static class Debian
{
    public static bool IsPackageName(string name) =>
        name.Length >= 2 && IsLowerOrDigit(name[0]) && name.All(c => IsLowerOrDigit(c) || c is '+' or '-' or '.');

    private static bool IsLowerOrDigit(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);

    /// <summary>True when dpkg was interrupted (dpkg --audit lists half-installed or unconfigured packages).</summary>
    public static async Task<bool> InterruptedAsync(RemoteHost host, Action<string> log, CancellationToken ct)
    {
        var audit = await host.RunAsync(new RemoteCommand { Program = "dpkg", Arguments = ["--audit"], ThrowOnFailure = false, Timeout = TimeSpan.FromSeconds(60) }, null, ct);
        if (audit.StdOut.Trim().Length == 0) return false;
        log("dpkg --audit: " + string.Join(" | ", audit.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(5)));
        return true;
    }

    /// <summary>Installed packages → version; packages that are absent or only half-installed are left out.</summary>
    public static async Task<Dictionary<string, string>> QueryAsync(RemoteHost host, IReadOnlyList<string> packages, Action<string> log, CancellationToken ct)
    {
        var command = new RemoteCommand
        {
            Program = "dpkg-query", Arguments = ["-W", "-f=${Package}\\t${Status}\\t${Version}\\n", "--", .. packages],
            ThrowOnFailure = false, Timeout = TimeSpan.FromSeconds(60),
        };
        log("$ " + command.Describe());
        var result = await host.RunAsync(command, null, ct);
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t');
            // dpkg-query prints architecture-qualified names (libc6:amd64) for multi-arch packages.
            if (parts.Length == 3 && parts[1] == "install ok installed")
                versions[parts[0].Split(':')[0]] = parts[2];
        }
        return versions;
    }
}
