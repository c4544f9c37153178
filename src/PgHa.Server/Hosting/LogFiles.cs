using PgHa.Secrets;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Sinks.File;

namespace PgHa.Server.Hosting;

/// <summary>Log files hold principals, run ids and commands: mode 640 (owner writes, group reads), never world-readable.</summary>
internal sealed class OwnerAndGroupReadable : FileLifecycleHooks
{
    public override Stream OnFileOpened(string path, Stream underlyingStream, Encoding encoding)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        return underlyingStream;
    }
}

/// <summary>
/// Text values of a log event (comments, prompts, names) with control characters escaped, so a newline or an ANSI
/// escape in user text cannot forge a console line; the JSON file escapes them anyway, the console would not.
/// </summary>
public sealed class EscapedUserText : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        foreach (var (name, value) in logEvent.Properties.ToList())
            if (value is ScalarValue { Value: string text } && TextSafety.HasControl(text))
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, new ScalarValue(TextSafety.Escape(text))));
    }
}
