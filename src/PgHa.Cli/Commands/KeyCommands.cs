using System.CommandLine;
using PgHa.Server.Auth;
using PgHa.Server.Hosting;

namespace PgHa.Cli.Commands;

/// <summary>
/// <c>pgha keys create|list|revoke</c>: works on the server's data directory directly (the keys file next to the
/// database), so the first keys can be made before anyone holds one. The running server picks changes up at once.
/// </summary>
internal static class KeyCommands
{
    public static readonly Option<string?> Database = new("--database")
    {
        Description = "The server's SQLite file; the keys live next to it (default: $PGHA_DATABASE or ./.pgha/pgha.db)", Recursive = true,
    };

    public static string KeysFile(ParseResult parse)
    {
        var database = parse.GetValue(Database)
                       ?? (Environment.GetEnvironmentVariable("PGHA_DATABASE") is { Length: > 0 } env ? env : Path.Combine(".pgha", "pgha.db"));
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(database))!, ServerSettings.KeysFileName);
    }

    public static Command Create()
    {
        var keys = new Command("keys", "API keys of the server (stored hashed next to its database)") { Database };

        var name = new Option<string>("--name") { Description = "Who uses the key (recorded as StartedBy / DecidedBy)", Required = true };
        var role = new Option<string>("--role") { Description = "viewer, operator, approver or admin", Required = true };
        role.AcceptOnlyFromAmong([.. Roles.Ordered]);
        var replace = new Option<bool>("--replace") { Description = "Revoke an existing key of that name and create a new one" };
        var principal = new Option<string?>("--principal") { Description = "The person or system the key belongs to (default: its name); four-eyes rules compare principals" };
        var runDrafts = new Option<bool>("--run-drafts") { Description = "Allow the key to start runbook versions nobody has published yet" };
        var create = new Command("create", "Create a key and print it (the only time it is shown)") { name, role, replace, principal, runDrafts };
        create.SetAction(parse => Guard(() =>
        {
            var file = new ApiKeyFile(KeysFile(parse));
            var key = file.Create(parse.GetValue(name)!, parse.GetValue(role)!, parse.GetValue(replace), parse.GetValue(principal), parse.GetValue(runDrafts));
            Console.Error.WriteLine($"created key '{parse.GetValue(name)}' with role {parse.GetValue(role)} in {file.Path}; it is shown only now:");
            Console.WriteLine(key);
        }));

        var list = new Command("list", "Key names, roles and creation times (never the keys)");
        list.SetAction(parse => Guard(() =>
        {
            var file = new ApiKeyFile(KeysFile(parse));
            Cli.Table(file.List().Select(k => new[] { k.Name, k.PrincipalName, k.Role, k.RunDrafts ? "yes" : "no", k.Created.ToString("u") }),
                "NAME", "PRINCIPAL", "ROLE", "RUNS DRAFTS", "CREATED");
        }));

        var who = new Argument<string>("name") { Description = "Key name" };
        var revoke = new Command("revoke", "Revoke a key by name") { who };
        revoke.SetAction(parse => Guard(() =>
        {
            var file = new ApiKeyFile(KeysFile(parse));
            if (!file.Revoke(parse.GetValue(who)!)) throw new CliException($"no key named '{parse.GetValue(who)}' in {file.Path}");
            Console.WriteLine($"revoked '{parse.GetValue(who)}'");
        }));

        keys.Add(create);
        keys.Add(list);
        keys.Add(revoke);
        return keys;
    }

    private static int Guard(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or CliException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return e is CliException c ? c.ExitCode : 1;
        }
    }
}
