using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace PgHa.Server.Tests;

/// <summary>What one request may cost: bodies bounded by Kestrel whatever the framing, runbooks bounded by size, validation linear.</summary>
public sealed class RequestLimitTests(ServerHost server) : IClassFixture<ServerHost>
{
    /// <summary>A body sent with chunked transfer encoding: no Content-Length for a check to look at.</summary>
    private sealed class Chunked(int bytes) : HttpContent
    {
        public Chunked(int bytes, string mediaType) : this(bytes) => Headers.ContentType = new(mediaType);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // One long string value, so a streaming JSON reader keeps reading until the limit stops it.
            await stream.WriteAsync(Encoding.ASCII.GetBytes("{\"runbook\":\""));
            var chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
            for (var sent = 0; sent < bytes; sent += chunk.Length) await stream.WriteAsync(chunk);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Theory]
    [InlineData("POST", "api/runbooks/validate", "viewer")]
    [InlineData("POST", "api/runbooks", "operator")]
    [InlineData("PUT", "api/runbooks/big", "operator")]
    [InlineData("POST", "api/runs", "operator")]
    [InlineData("POST", "api/clusters", "operator")]
    public async Task A_chunked_body_over_the_limit_is_refused_with_413(string method, string path, string role)
    {
        using var client = server.Client(role);
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new Chunked(6 * 1024 * 1024, "application/json") };
        Assert.Null(request.Content.Headers.ContentLength);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (HttpRequestException)
        {
            // Kestrel may close the connection while the client is still sending; the body was refused either way.
            return;
        }
        await response.Problem(413);
    }

    [Fact]
    public async Task Runbooks_over_the_size_limits_are_refused_by_field()
    {
        using var viewer = server.Client("viewer");
        var tooManyNodes = await (await viewer.PostAsync("api/runbooks/validate", Http.Json(Chain(501)))).Problem(400);
        Assert.Contains("at most 500", tooManyNodes.FieldErrors("nodes")[0]);

        var manyEdges = JsonNode.Parse(Chain(2))!;
        manyEdges["connections"] = new JsonArray(Enumerable.Range(0, 2001).Select(_ => (JsonNode)new JsonObject { ["from"] = "n0", ["outcome"] = "Done", ["to"] = "n1" }).ToArray());
        var tooManyConnections = await (await viewer.PostAsync("api/runbooks/validate", Http.Json(manyEdges.ToJsonString()))).Problem(400);
        Assert.Contains("at most 2000", tooManyConnections.FieldErrors("connections")[0]);

        var padded = JsonNode.Parse(Chain(2))!;
        padded["description"] = new string('d', 1100 * 1024);
        var tooBig = await (await viewer.PostAsync("api/runbooks/validate", Http.Json(padded.ToJsonString()))).Problem(400);
        Assert.Contains("MaxRunbookBytes", tooBig.FieldErrors("$")[0]);
    }

    [Fact]
    public async Task A_fork_with_hundreds_of_branches_validates_in_milliseconds()
    {
        using var viewer = server.Client("viewer");
        var watch = Stopwatch.StartNew();
        var response = await viewer.PostAsync("api/runbooks/validate", Http.Json(WideFork(495)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    private static string Chain(int nodes) => TestRunbooks.Build("big", 1, new JsonObject(),
        Enumerable.Range(0, nodes).Select(i => new JsonObject { ["id"] = $"n{i}", ["activity"] = "Log", ["inputs"] = new JsonObject { ["message"] = "m" } }).ToArray(),
        Enumerable.Range(0, nodes - 1).Select(i => $"n{i} -Done-> n{i + 1}").ToArray());

    /// <summary>start → fork → b0..bN-1 → join.</summary>
    public static string WideFork(int branches) => TestRunbooks.Build("wide", 1, new JsonObject(),
        [
            new JsonObject { ["id"] = "start", ["activity"] = "Fork", ["inputs"] = new JsonObject() },
            .. Enumerable.Range(0, branches).Select(i => new JsonObject { ["id"] = $"b{i}", ["activity"] = "Log", ["inputs"] = new JsonObject { ["message"] = "m" } }),
            new JsonObject { ["id"] = "join", ["activity"] = "Join", ["inputs"] = new JsonObject() },
        ],
        [.. Enumerable.Range(0, branches).SelectMany(i => new[] { $"start -Done-> b{i}", $"b{i} -Done-> join" })]);
}
