using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PgHa.Cli.Commands;

/// <summary>The CLI's side of the HTTP API: server address and key from options or environment, problem details printed readably.</summary>
internal sealed class ServerClient : IDisposable
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    public static readonly Option<string?> Server = new("--server")
    {
        Description = $"Server URL (default: $PGHA_SERVER or {DefaultServer})", Recursive = true,
    };

    public static readonly Option<string?> Key = new("--key")
    {
        Description = "API key (default: $PGHA_API_KEY)", Recursive = true,
    };

    public static readonly JsonSerializerOptions Pretty = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly HttpClient _http;

    private ServerClient(HttpClient http) => _http = http;

    public static ServerClient From(ParseResult parse)
    {
        var server = parse.GetValue(Server)
                     ?? (Environment.GetEnvironmentVariable("PGHA_SERVER") is { Length: > 0 } env ? env : DefaultServer);
        var http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        var key = parse.GetValue(Key) ?? Environment.GetEnvironmentVariable("PGHA_API_KEY");
        if (!string.IsNullOrWhiteSpace(key)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Trim());
        return new ServerClient(http);
    }

    public HttpClient Http => _http;

    public Task<JsonNode?> GetAsync(string path, CancellationToken ct) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);

    public Task<JsonNode?> PostJsonAsync(string path, string json, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") }, ct);

    public Task<JsonNode?> PostAsync(string path, object body, CancellationToken ct) =>
        PostJsonAsync(path, JsonSerializer.Serialize(body, Pretty), ct);

    /// <summary>Sends a request; a problem response becomes a <see cref="CliException"/> with the server's explanation.</summary>
    public async Task<JsonNode?> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await SendRawAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the server at {_http.BaseAddress}: {e.Message} (start it with 'pgha up' or set --server / PGHA_SERVER)", 2);
        }
        if (response.IsSuccessStatusCode) return response;
        var body = await response.Content.ReadAsStringAsync(ct);
        response.Dispose();
        throw new CliException(DescribeProblem((int)response.StatusCode, body), 1);
    }

    public static string DescribeProblem(int status, string body)
    {
        var text = new StringBuilder($"server answered {status}");
        try
        {
            if (JsonNode.Parse(body) is JsonObject problem)
            {
                if (problem["title"]?.GetValue<string>() is { } title) text.Append(": ").Append(title);
                if (problem["detail"]?.GetValue<string>() is { } detail) text.Append("\n  ").Append(detail);
                if (problem["errors"] is JsonObject errors)
                    foreach (var (field, messages) in errors)
                        foreach (var message in messages?.AsArray() ?? [])
                            text.Append("\n  ").Append(field).Append(": ").Append(message?.GetValue<string>());
            }
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's error page?); the status says enough.
        }
        return text.ToString();
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A failure the CLI reports as one message and an exit code, without a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

internal static class Cli
{
    /// <summary>Runs a command body against the server, turning refusals into a message on stderr and an exit code.</summary>
    public static async Task<int> WithServer(ParseResult parse, Func<ServerClient, Task<int>> action)
    {
        using var client = ServerClient.From(parse);
        try
        {
            return await action(client);
        }
        catch (CliException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return e.ExitCode;
        }
    }

    public static string Str(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    public static void PrintJson(JsonNode? node) => Console.WriteLine(node?.ToJsonString(ServerClient.Pretty) ?? "null");

    public static void Table(IEnumerable<string[]> rows, params string[] header)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = header.Select((_, i) => all.Max(r => i < r.Length ? r[i].Length : 0)).ToArray();
        foreach (var row in all)
            Console.WriteLine(string.Join("  ", row.Select((c, i) => i == row.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
    }

    public static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new CliException($"cannot read {path}: {e.Message}", 2);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException($"cannot read {path}: {e.Message}", 2);
        }
    }
}
