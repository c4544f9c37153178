using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgHa.Server.Tests;

/// <summary>
/// The server as a real process (dotnet PgHa.Server.dll), to be killed and started again on the same data.
/// <c>environment</c> adds settings the way an operator would (<c>PgHa__Store=postgres</c>, ...).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Process? _process;

    public ServerProcess(string directory, string runbookFolder, IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory = directory;
        RunbookFolder = runbookFolder;
        Port = FreePort();
        _environment = environment ?? new Dictionary<string, string>();
    }

    public string Directory { get; }
    public string RunbookFolder { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    public string Output { get { lock (_output) return _output.ToString(); } }

    public async Task StartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "PgHa.Server.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", BaseAddress.ToString().TrimEnd('/'), "--PgHa:Database", Path.Combine(Directory, "pgha.db"),
                "--PgHa:RunbookFolder", RunbookFolder, "--PgHa:DesignerFolder", "none", "--PgHa:Engine:PollIntervalMilliseconds", "200" },
            WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var (name, value) in _environment) info.Environment[name] = value;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await probe.GetAsync("healthz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"the server did not become healthy:\n{Output}");
    }

    /// <summary>SIGKILL: no graceful shutdown, like a crash of the host.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
