using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace PgHa.Server.Hosting;

/// <summary>
/// Kestrel answers a request it cannot parse (an encoded NUL, %00, in the path; a malformed request line or header;
/// a URL or headers over its limits) by itself, before any middleware runs, with an empty response. This connection
/// middleware turns exactly that response into a problem document, so every client error the API gives has one.
/// </summary>
internal static class RejectedRequestProblems
{
    public static void Use(ListenOptions listen) => listen.Use(next => async connection =>
    {
        var transport = connection.Transport;
        var output = PipeWriter.Create(new RewritingStream(transport.Output.AsStream()));
        connection.Transport = new Transport(transport.Input, output);
        try { await next(connection); }
        finally { connection.Transport = transport; }
    });

    private sealed record Transport(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>
    /// Kestrel's rejection is a 4xx status line with "Content-Length: 0", "Connection: close" and no Content-Type,
    /// written in one piece as the connection's last response. The API's own errors always carry a Content-Type
    /// (problem details, status code pages), so they never match.
    /// </summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (written.Length > 4096 || !written.StartsWith("HTTP/1.1 4"u8)) return null;
        var text = Encoding.ASCII.GetString(written);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0 || end + 4 != text.Length) return null;
        var lines = text[..end].Split("\r\n");
        var headers = lines.Skip(1).ToList();
        bool Has(string header) => headers.Any(h => h.Equals(header, StringComparison.OrdinalIgnoreCase));
        if (!Has("Content-Length: 0") || !Has("Connection: close")
            || headers.Any(h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))) return null;

        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !int.TryParse(status[1], out var code)) return null;
        var title = status.Length == 3 ? status[2] : "Bad Request";
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = "https://tools.ietf.org/html/rfc9110#section-15.5",
            ["title"] = title,
            ["status"] = code,
            ["detail"] = code switch
            {
                414 => "The URL is longer than the server accepts; nothing was done. Send a shorter URL.",
                431 => "The request headers are larger than the server accepts; nothing was done. Send fewer or smaller headers.",
                _ => "The request line or a header could not be read (for example an encoded NUL, %00, in the path, or a malformed header); nothing was done. Fix the request.",
            },
        });
        var head = new StringBuilder(lines[0]).Append("\r\n")
            .Append("Content-Type: application/problem+json\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n");
        foreach (var h in headers.Where(h => !h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))) head.Append(h).Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), .. body];
    }

    private sealed class RewritingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            await inner.WriteAsync(Rewrite(buffer.Span) ?? buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(Rewrite(buffer.AsSpan(offset, count)) ?? buffer.AsSpan(offset, count));
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
