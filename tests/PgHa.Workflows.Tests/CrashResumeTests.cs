using System.Diagnostics;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using Xunit.Abstractions;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

/// <summary>
/// The engine runs in a separate process that is killed with SIGKILL in the middle of a run; a new process on the
/// same SQLite file must finish the run without losing or doubling any completed node.
/// </summary>
public sealed class CrashResumeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-crash-").FullName;
    private string Db => Path.Combine(_directory, "pgha.db");
    private string RecordFile => Path.Combine(_directory, "executions.log");
    private string RunbookFolder => Path.Combine(_directory, "runbooks");

    [Fact]
    public async Task Killed_in_the_middle_of_a_node_the_run_resumes_and_completes()
    {
        WriteRunbook(Json("crash-linear",
            [Node("a", 200), Node("b", 200), Node("c", 4000), Node("d", 200), Node("e", 200)],
            ["a -Done-> b", "b -Done-> c", "c -Done-> d", "d -Done-> e"]));

        using var first = Host("start", "crash-linear");
        var runId = await first.WaitForLineAsync("RUN ");
        await WaitForRecordAsync("start c");
        first.Kill();
        output.WriteLine($"killed process {first.Id} while node c was running");

        using var second = Host("resume", runId);
        var end = await second.WaitForLineAsync("END ", TimeSpan.FromSeconds(90));

        Assert.StartsWith("Completed", end);
        var record = Executions();
        Assert.Equal((1, 1), record["a"]);
        Assert.Equal((1, 1), record["b"]);
        Assert.InRange(record["c"].Starts, 1, 2);
        Assert.Equal(1, record["c"].Ends);
        Assert.Equal((1, 1), record["d"]);
        Assert.Equal((1, 1), record["e"]);
        // The journal shows the attempt the crash cut short, then the one that finished it.
        await using var db = new SqlitePgHaDbContextFactory(Db).CreateDbContext();
        Assert.Equal([JournalStatus.Interrupted, JournalStatus.Succeeded],
            db.Journal.Where(j => j.RunId == runId && j.NodeId == "c").OrderBy(j => j.Id).Select(j => j.Status).ToList());
    }

    [Fact]
    public async Task Killed_while_waiting_for_approval_an_approval_after_restart_resumes_the_run()
    {
        WriteRunbook(Json("crash-approval",
            [Node("before", 100), ("approve", "WaitForApproval", new { prompt = "go on?" }), Node("after", 100)],
            ["before -Done-> approve", "approve -Approved-> after"]));

        using var first = Host("start", "crash-approval");
        var runId = await first.WaitForLineAsync("RUN ");
        await first.WaitForLineAsync("WAITING ");
        first.Kill();

        using var second = Host("resume", runId, "approve", "approve");
        var end = await second.WaitForLineAsync("END ", TimeSpan.FromSeconds(90));

        Assert.StartsWith("Completed", end);
        var record = Executions();
        Assert.Equal((1, 1), record["before"]);
        Assert.Equal((1, 1), record["after"]);
    }

    private static (string, string, object?) Node(string name, int hold) =>
        (name, "RecordExecution", new { name, holdMilliseconds = hold });

    private void WriteRunbook(string json)
    {
        Directory.CreateDirectory(RunbookFolder);
        File.WriteAllText(Path.Combine(RunbookFolder, "runbook.json"), json);
    }

    private Dictionary<string, (int Starts, int Ends)> Executions() =>
        File.ReadAllLines(RecordFile).Select(l => l.Split(' ')).GroupBy(p => p[1])
            .ToDictionary(g => g.Key, g => (g.Count(p => p[0] == "start"), g.Count(p => p[0] == "end")));

    private async Task WaitForRecordAsync(string line)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(RecordFile) || !File.ReadAllLines(RecordFile).Any(l => l.StartsWith(line + " ")))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{line}' never appeared in {RecordFile}");
            await Task.Delay(50);
        }
    }

    private HostProcess Host(params string[] args)
    {
        var hostDll = Path.Combine(AppContext.BaseDirectory.Replace("PgHa.Workflows.Tests", "PgHa.Workflows.CrashHost"), "PgHa.Workflows.CrashHost.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { hostDll, Db, RunbookFolder, RecordFile }.Concat(args)) start.ArgumentList.Add(a);
        return new HostProcess(Process.Start(start)!);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private sealed class HostProcess : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly SemaphoreSlim _newLine = new(0);

        public HostProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (_lines) _lines.Add(e.Data);
                _newLine.Release();
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (_lines) _lines.Add("stderr: " + e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Id => _process.Id;

        public async Task<string> WaitForLineAsync(string prefix, TimeSpan? timeout = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
            while (true)
            {
                // Once the process has exited, WaitForExit() also waits until its redirected output is read to the
                // end, so the last lines it printed are in _lines before the final look.
                var exited = _process.HasExited;
                if (exited) _process.WaitForExit();
                lock (_lines)
                {
                    var line = _lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
                    if (line is not null) return line[prefix.Length..];
                }
                if (exited)
                    throw new InvalidOperationException($"engine process exited ({_process.ExitCode}) before '{prefix}':\n{string.Join("\n", _lines)}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"no '{prefix}' line in time:\n{string.Join("\n", _lines)}");
                await _newLine.WaitAsync(TimeSpan.FromMilliseconds(200));
            }
        }

        // Process.Kill sends SIGKILL on Linux: no shutdown code runs, exactly like a crash.
        public void Kill()
        {
            _process.Kill();
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited) Kill();
            _process.Dispose();
        }
    }
}
