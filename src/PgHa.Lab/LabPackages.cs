using Microsoft.Extensions.Logging;

namespace PgHa.Lab;

/// <summary>Installs the Debian packages the lab hosts need, without starting any daemon in the root namespace.</summary>
internal sealed class LabPackages(LocalCommand local, ILogger logger)
{
    private const string PolicyRcD = "/usr/sbin/policy-rc.d";
    private const string CreateClusterConf = "/etc/postgresql-common/createcluster.conf";

    public async Task<IReadOnlyList<string>> MissingAsync()
    {
        var missing = new List<string>();
        foreach (var package in LabTopology.Packages)
        {
            var status = await local.RunAsync("dpkg-query", ["-W", "-f=${Status}", package], check: false).ConfigureAwait(false);
            if (!status.StdOut.Contains("install ok installed", StringComparison.Ordinal)) missing.Add(package);
        }
        return missing;
    }

    public async Task<IReadOnlyList<string>> InstallMissingAsync(CancellationToken ct)
    {
        var missing = await MissingAsync().ConfigureAwait(false);
        if (missing.Count == 0) return missing;
        logger.LogInformation("Installing missing packages: {Packages}", string.Join(' ', missing));

        // Without a policy-rc.d, openssh-server, cron and pgbouncer would start daemons in the root namespace.
        var ownPolicy = !File.Exists(PolicyRcD);
        if (ownPolicy)
        {
            await File.WriteAllTextAsync(PolicyRcD, "#!/bin/sh\n# written by PgHa.Lab during package install\nexit 101\n", ct).ConfigureAwait(false);
            File.SetUnixFileMode(PolicyRcD, (UnixFileMode)0x1ED);
        }
        try
        {
            DisableMainClusterCreation();
            var env = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
            void Progress(string line) => logger.LogInformation("apt: {Line}", line);
            await local.RunAsync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "update"], true, Progress, env, null, ct).ConfigureAwait(false);
            await local.RunAsync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "-o", "Dpkg::Options::=--force-confold", "install", "-y", .. missing],
                true, Progress, env, null, ct).ConfigureAwait(false);
        }
        finally
        {
            if (ownPolicy) File.Delete(PolicyRcD);
        }
        var still = await MissingAsync().ConfigureAwait(false);
        if (still.Count > 0) throw new LabException($"apt-get finished but these packages are still missing: {string.Join(' ', still)}");
        return missing;
    }

    // postgresql-common creates and starts a 'main' cluster on a fresh install unless told not to.
    private void DisableMainClusterCreation()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CreateClusterConf)!);
        var lines = File.Exists(CreateClusterConf) ? File.ReadAllLines(CreateClusterConf).ToList() : [];
        if (lines.Any(l => l.Trim().Replace(" ", "", StringComparison.Ordinal) == "create_main_cluster=false")) return;
        lines.RemoveAll(l => l.TrimStart().StartsWith("create_main_cluster", StringComparison.Ordinal));
        lines.Add("create_main_cluster = false");
        File.WriteAllLines(CreateClusterConf, lines);
        logger.LogInformation("Set create_main_cluster = false in {File}", CreateClusterConf);
    }
}
