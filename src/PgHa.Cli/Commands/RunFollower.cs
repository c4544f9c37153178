using System.Text;
using System.Text.Json.Nodes;

namespace PgHa.Cli.Commands;

/// <summary>
/// Follows a run over server-sent events: one line per node state change and per log line. Reconnects when the
/// stream breaks (the snapshot sent on every connection says where the run stands). Exit code 0 only for Completed.
/// </summary>
internal static class RunFollower
{
    public static async Task<int> FollowAsync(ServerClient server, string runId, CancellationToken ct)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            string? final = null;
            try
            {
                using var response = await server.SendRawAsync(
                    new HttpRequestMessage(HttpMethod.Get, $"api/runs/{Uri.EscapeDataString(runId)}/events"), ct, HttpCompletionOption.ResponseHeadersRead);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                string? kind = null;
                var data = new StringBuilder();
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (kind is not null && data.Length > 0) final = Show(kind, JsonNode.Parse(data.ToString())!, runId, states) ?? final;
                        (kind, data) = (null, data.Clear());
                        continue;
                    }
                    if (line.StartsWith(':')) continue;
                    if (line.StartsWith("event:", StringComparison.Ordinal)) kind = line[6..].Trim();
                    else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Append(line[5..].TrimStart());
                }
            }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                // The connection broke; reconnect below.
            }
            catch (HttpRequestException) when (!ct.IsCancellationRequested)
            {
            }
            if (final is not null) return final == "Completed" ? 0 : 1;
            Console.Error.WriteLine("stream interrupted; reconnecting");
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    /// <summary>Prints an event; returns the run's final status once it has ended.</summary>
    private static string? Show(string kind, JsonNode e, string runId, Dictionary<string, string> states)
    {
        var time = DateTime.Now.ToString("HH:mm:ss");
        switch (kind)
        {
            case "snapshot":
                // What happened before we connected: the journal's log lines, then where each node stands.
                foreach (var j in e["journal"]!.AsArray())
                    if (states.TryAdd("journal:" + Cli.Str(j!["id"]), "printed"))
                        foreach (var line in Cli.Str(j["log"]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                            Console.WriteLine($"{time}   {Cli.Str(j["nodeId"])} | {line}");
                foreach (var n in e["nodes"]!.AsArray())
                    NodeState(time, Cli.Str(n!["nodeId"]), Cli.Str(n["state"]), Cli.Str(n["outcome"]), Cli.Str(n["error"]), states);
                var status = Cli.Str(e["run"]!["status"]);
                foreach (var a in e["approvals"]!.AsArray().Where(a => a!["decision"] is null))
                    Console.WriteLine($"{time} {Cli.Str(a!["nodeId"])} waits for approval ({Cli.Str(a["allowedRole"])}): {Cli.Str(a["prompt"])}\n" +
                                      $"         approve with: pgha approve {runId} {Cli.Str(a["nodeId"])} --comment \"...\"");
                if (status is "Completed" or "Failed" or "Cancelled")
                {
                    Console.WriteLine($"{time} run {runId} {status}{(e["run"]!["error"] is { } err ? ": " + Cli.Str(err) : "")}");
                    return status;
                }
                return null;
            case "node.started":
            case "node.ended":
                NodeState(time, Cli.Str(e["nodeId"]), Cli.Str(e["status"]), Cli.Str(e["outcome"]), Cli.Str(e["message"]), states,
                    Cli.Str(e["attempt"]));
                return null;
            case "node.log":
                Console.WriteLine($"{time}   {Cli.Str(e["nodeId"])} | {Cli.Str(e["message"])}");
                return null;
            case "approval.requested":
                Console.WriteLine($"{time} {Cli.Str(e["nodeId"])} waits for approval: {Cli.Str(e["message"])}\n" +
                                  $"         approve with: pgha approve {runId} {Cli.Str(e["nodeId"])} --comment \"...\"");
                return null;
            case "approval.decided":
                Console.WriteLine($"{time} {Cli.Str(e["nodeId"])} {Cli.Str(e["status"])}{(e["message"] is { } m ? ": " + Cli.Str(m) : "")}");
                return null;
            case "run.ended":
                var final = Cli.Str(e["status"]);
                Console.WriteLine($"{time} run {runId} {final}{(e["message"] is { } msg ? ": " + Cli.Str(msg) : "")}");
                return final;
            default:
                return null;
        }
    }

    private static void NodeState(string time, string node, string state, string outcome, string detail, Dictionary<string, string> states,
        string attempt = "")
    {
        var key = $"{state}|{outcome}|{attempt}";
        if (state is "NotStarted" || (states.TryGetValue(node, out var known) && known == key)) return;
        states[node] = key;
        Console.WriteLine($"{time} {node}{(attempt is "" or "1" ? "" : $" (attempt {attempt})")}: {state}{(outcome.Length > 0 ? $" → {outcome}" : "")}" +
                          (detail.Length > 0 ? $" ({detail})" : ""));
    }
}
