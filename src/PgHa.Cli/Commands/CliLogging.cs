using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;

namespace PgHa.Cli.Commands;

/// <summary>Console logging for CLI commands: one readable line per event, on stderr so stdout stays parseable.</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? Serilog.Events.LogEventLevel.Debug : Serilog.Events.LogEventLevel.Information)
            .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
            .CreateLogger();
        return new SerilogLoggerFactory(logger, dispose: true);
    }
}
