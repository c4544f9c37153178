using System.Diagnostics;
using PgHa.Remote;
using PgHa.Secrets;

namespace PgHa.Lab.Tests;

/// <summary>
/// Brings a real lab up once for the "lab" collection and tears it down at the end. If this machine cannot
/// run the lab (not root, no namespaces), every test of the collection fails with the reason; none passes silently.
/// </summary>
public sealed class LabFixture : IAsyncLifetime
{
    public CollectingLoggerFactory Logs { get; } = new();
    public SecretRedactor Redactor { get; } = new();
    public LocalLab Lab { get; }
    public SshConnectionPool Pool { get; private set; } = null!;
    public TimeSpan BringUpTime { get; private set; }
    public LabUpResult UpResult { get; private set; } = null!;
    private IDisposable? _use;

    public LabFixture()
    {
        Lab = new LocalLab(new LabOptions(), Logs);
    }

    public async Task InitializeAsync()
    {
        await Lab.EnsureMachineCanRunLabAsync();
        // Start from a clean machine, as CI does, so the measured bring-up is a real one.
        var cleanup = await Lab.DownAsync();
        if (!cleanup.Clean) throw new InvalidOperationException("leftovers of an earlier lab: " + cleanup);
        var sw = Stopwatch.StartNew();
        UpResult = await Lab.UpAsync();
        BringUpTime = sw.Elapsed;
        _use = await Lab.UseAsync(); // another process's `lab down` now waits for this collection to finish
        Console.WriteLine($"[lab] bring-up took {BringUpTime.TotalSeconds:0.00} s (lab's own measure {UpResult.BringUpTime.TotalSeconds:0.00} s, " +
                          $"packages installed: {UpResult.PackagesInstalled.Count})");
        Pool = new SshConnectionPool(Redactor, Logs);
    }

    public RemoteHost Host(string host, string user) => Pool.Host(Lab.Target(host, user));

    public async Task DisposeAsync()
    {
        Pool?.Dispose();
        _use?.Dispose();
        var down = await Lab.DownAsync();
        Console.WriteLine($"[lab] teardown: {down}");
        if (!down.Clean) throw new InvalidOperationException("lab teardown left things behind: " + down);
    }
}

[CollectionDefinition("lab")]
public sealed class LabCollection : ICollectionFixture<LabFixture>;
