using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PgHa.Lab.Tests;

/// <summary>Keeps every log line (message and structured values) so tests can check what was logged, e.g. that no secret was.</summary>
public sealed class CollectingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public Action<string>? Echo { get; set; }

    public ILogger CreateLogger(string categoryName) => new CollectingLogger(this, categoryName);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    public string AllText => string.Join('\n', Lines);

    private sealed class CollectingLogger(CollectingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner.Lines.Enqueue($"scope {category}: {Flatten(state)}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)} | {Flatten(state)} {exception?.Message}";
            owner.Lines.Enqueue(line);
            owner.Echo?.Invoke(line);
        }

        private static string Flatten(object? state) => state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
            : state?.ToString() ?? "";
    }
}
