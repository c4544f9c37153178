using System.CommandLine;
using System.Text.Json.Nodes;

namespace PgHa.Cli.Commands;

/// <summary><c>pgha runbooks list|show|validate|push|diff|publish</c>.</summary>
internal static class RunbookCommands
{
    public static Command Create()
    {
        var runbooks = new Command("runbooks", "Runbook definitions stored on the server");

        var list = new Command("list", "Every runbook with its latest version");
        list.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var items = (await server.GetAsync("api/runbooks", ct))!.AsArray();
            Cli.Table(items.Select(r => new[] { Cli.Str(r!["id"]), Cli.Str(r["version"]), Cli.Str(r["status"]), Cli.Str(r["name"]), Cli.Str(r["createdBy"]) }),
                "ID", "VERSION", "STATUS", "NAME", "SAVED BY");
            return 0;
        }));

        var id = new Argument<string>("id") { Description = "Runbook id" };
        var version = new Option<int?>("--version") { Description = "A saved version (default: the latest)" };
        var show = new Command("show", "Print a runbook definition as JSON") { id, version };
        show.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var v = parse.GetValue(version);
            Cli.PrintJson(await server.GetAsync($"api/runbooks/{Uri.EscapeDataString(parse.GetValue(id)!)}" + (v is null ? "" : $"?version={v}"), ct));
            return 0;
        }));

        var file = new Argument<string>("file") { Description = "Runbook JSON file" };
        var validate = new Command("validate", "Validate a runbook file on the server without saving it") { file };
        validate.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var path = parse.GetValue(file)!;
            await server.PostJsonAsync("api/runbooks/validate", Cli.ReadFile(path), ct);
            Console.WriteLine($"{path}: valid");
            return 0;
        }));

        var push = new Command("push", "Save a runbook file as the next version on the server") { file };
        push.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var json = Cli.ReadFile(parse.GetValue(file)!);
            var runbookId = (JsonNode.Parse(json) as JsonObject)?["id"]?.GetValue<string>()
                            ?? throw new CliException("the file has no \"id\"; a runbook is a JSON object with id, version, start, nodes and connections", 2);
            var saved = await server.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"api/runbooks/{Uri.EscapeDataString(runbookId)}")
                { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") }, ct);
            Console.WriteLine($"saved {Cli.Str(saved!["id"])} version {Cli.Str(saved["version"])} as a draft; a second person publishes it with 'pgha runbooks publish {Cli.Str(saved["id"])} --version {Cli.Str(saved["version"])}'");
            return 0;
        }));

        var draft = new Option<int>("--version") { Description = "The draft version", Required = true };
        var diff = new Command("diff", "What publishing a version would change against the published one") { id, draft };
        diff.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            PrintChanges(await server.GetAsync($"api/runbooks/{Uri.EscapeDataString(parse.GetValue(id)!)}/versions/{parse.GetValue(draft)}/diff", ct));
            return 0;
        }));

        var publish = new Command("publish", "Publish a draft version (a principal other than its author, role approver); prints its diff") { id, draft };
        publish.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var published = await server.PostJsonAsync($"api/runbooks/{Uri.EscapeDataString(parse.GetValue(id)!)}/versions/{parse.GetValue(draft)}/publish", "{}", ct);
            PrintChanges(published!["diff"]);
            Console.WriteLine($"published {Cli.Str(published["id"])} version {Cli.Str(published["version"])} by {Cli.Str(published["publishedBy"])}");
            return 0;
        }));

        runbooks.Add(list);
        runbooks.Add(show);
        runbooks.Add(validate);
        runbooks.Add(push);
        runbooks.Add(diff);
        runbooks.Add(publish);
        return runbooks;
    }

    private static void PrintChanges(JsonNode? diff)
    {
        var from = diff?["from"] is { } f ? "v" + Cli.Str(f) : "nothing published";
        Console.WriteLine($"changes of {Cli.Str(diff?["runbookId"])} v{Cli.Str(diff?["to"])} against {from}:");
        foreach (var change in diff?["changes"]?.AsArray() ?? [])
            Console.WriteLine($"  {Cli.Str(change!["change"]),-8} {Cli.Str(change["path"])}: {change["before"]?.ToJsonString() ?? "-"} -> {change["after"]?.ToJsonString() ?? "-"}");
    }
}
