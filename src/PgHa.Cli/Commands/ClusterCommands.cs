using System.CommandLine;

namespace PgHa.Cli.Commands;

/// <summary><c>pgha clusters import|show|fences|list</c>.</summary>
internal static class ClusterCommands
{
    public static Command Create()
    {
        var clusters = new Command("clusters", "Cluster inventories stored on the server");

        var list = new Command("list", "Every cluster with its roles");
        list.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var items = (await server.GetAsync("api/clusters", ct))!.AsArray();
            Cli.Table(items.Select(c => new[]
            {
                Cli.Str(c!["id"]), Cli.Str(c["name"]), Cli.Str(c["hosts"]),
                string.Join(", ", c["roles"]!.AsObject().Select(r => $"{r.Key}={Cli.Str(r.Value)}")), Cli.Str(c["updatedBy"]),
            }), "ID", "NAME", "HOSTS", "ROLES", "UPDATED BY");
            return 0;
        }));

        var id = new Argument<string>("id") { Description = "Cluster id" };
        var show = new Command("show", "Print a cluster inventory as JSON (it holds secret names, never secret values)") { id };
        show.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            Cli.PrintJson(await server.GetAsync($"api/clusters/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct));
            return 0;
        }));

        var fences = new Command("fences", "Fenced hosts of a cluster: pending, done or failed, until they are rebuilt as standbys") { id };
        fences.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var items = (await server.GetAsync($"api/clusters/{Uri.EscapeDataString(parse.GetValue(id)!)}/fences", ct))!.AsArray();
            Cli.Table(items.Select(f => new[]
            {
                Cli.Str(f!["host"]), Cli.Str(f["state"]), Cli.Str(f["recordedBy"]), Cli.Str(f["recordedAt"]), Cli.Str(f["carriedOutAt"]), Cli.Str(f["result"]),
            }), "HOST", "STATE", "RECORDED BY", "RECORDED AT", "CARRIED OUT AT", "RESULT");
            return 0;
        }));

        var file = new Argument<string>("file") { Description = "Inventory JSON file (e.g. /var/lib/pgha/lab/inventory.json)" };
        var import = new Command("import", "Import (or replace) a cluster inventory") { file };
        import.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var saved = await server.PostJsonAsync("api/clusters", Cli.ReadFile(parse.GetValue(file)!), ct);
            Console.WriteLine($"imported cluster {Cli.Str(saved!["id"])}");
            return 0;
        }));

        clusters.Add(list);
        clusters.Add(show);
        clusters.Add(fences);
        clusters.Add(import);
        return clusters;
    }
}
