using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PgHa.Cli.Commands;

/// <summary><c>pgha run</c>, <c>pgha runs list|show|cancel</c>, <c>pgha approve</c>, <c>pgha approvals list</c>.</summary>
internal static class RunCommands
{
    public static Command Run()
    {
        var runbook = new Argument<string>("runbook") { Description = "Runbook id" };
        var cluster = new Option<string?>("--cluster") { Description = "Cluster id the run targets" };
        var version = new Option<int?>("--version") { Description = "Runbook version (default: the latest)" };
        var inputs = new Option<string[]>("--input") { Description = "Run input as name=value (value read as JSON when it parses, else as text); repeatable" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Plan only: read-only checks, record what would be done" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Stream the run until it ends; exit 0 only when it completed" };
        var run = new Command("run", "Start a run of a runbook") { runbook, cluster, version, inputs, dryRun, follow };
        run.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var body = new JsonObject
            {
                ["runbook"] = parse.GetValue(runbook), ["cluster"] = parse.GetValue(cluster), ["version"] = parse.GetValue(version),
                ["inputs"] = ParseInputs(parse.GetValue(inputs) ?? []), ["dryRun"] = parse.GetValue(dryRun),
            };
            var started = await server.PostJsonAsync("api/runs", body.ToJsonString(), ct);
            var runId = Cli.Str(started!["run"]!["runId"]);
            Console.WriteLine($"started {runId}");
            return parse.GetValue(follow) ? await RunFollower.FollowAsync(server, runId, ct) : 0;
        }));
        return run;
    }

    public static Command Runs()
    {
        var runs = new Command("runs", "Runs: list, show, cancel, follow");

        var status = new Option<string?>("--status") { Description = "Running, Completed, Failed or Cancelled" };
        var runbook = new Option<string?>("--runbook") { Description = "Only runs of this runbook" };
        var cluster = new Option<string?>("--cluster") { Description = "Only runs on this cluster" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (default 100)" };
        var list = new Command("list", "Runs, newest first") { status, runbook, cluster, limit };
        list.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var query = new List<string>();
            if (parse.GetValue(status) is { } s) query.Add("status=" + Uri.EscapeDataString(s));
            if (parse.GetValue(runbook) is { } r) query.Add("runbook=" + Uri.EscapeDataString(r));
            if (parse.GetValue(cluster) is { } c) query.Add("cluster=" + Uri.EscapeDataString(c));
            if (parse.GetValue(limit) is { } l) query.Add("limit=" + l);
            var items = (await server.GetAsync("api/runs" + (query.Count > 0 ? "?" + string.Join("&", query) : ""), ct))!.AsArray();
            Cli.Table(items.Select(x => new[]
            {
                Cli.Str(x!["runId"]), $"{Cli.Str(x["runbookId"])} v{Cli.Str(x["runbookVersion"])}", Cli.Str(x["clusterId"]),
                x["waitingForApproval"]?.GetValue<bool>() == true ? "Waiting for approval" : Cli.Str(x["status"]),
                Cli.Str(x["startedBy"]), Cli.Str(x["startedAt"]),
            }), "RUN", "RUNBOOK", "CLUSTER", "STATUS", "STARTED BY", "STARTED AT");
            return 0;
        }));

        var id = new Argument<string>("run") { Description = "Run id" };
        var json = new Option<bool>("--json") { Description = "Print the full run document as JSON" };
        var show = new Command("show", "A run: status, each node's state, the journal with logs") { id, json };
        show.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var run = await server.GetAsync($"api/runs/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct);
            if (parse.GetValue(json)) Cli.PrintJson(run);
            else PrintRun(run!);
            return 0;
        }));

        var cancel = new Command("cancel", "Cancel a run") { id };
        cancel.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var summary = await server.PostJsonAsync($"api/runs/{Uri.EscapeDataString(parse.GetValue(id)!)}/cancel", "{}", ct);
            Console.WriteLine($"cancel requested for {Cli.Str(summary!["runId"])}");
            return 0;
        }));

        var followRun = new Command("follow", "Stream a run until it ends; exit 0 only when it completed") { id };
        followRun.SetAction((parse, ct) => Cli.WithServer(parse, server => RunFollower.FollowAsync(server, parse.GetValue(id)!, ct)));

        runs.Add(list);
        runs.Add(show);
        runs.Add(cancel);
        runs.Add(followRun);
        return runs;
    }

    public static Command Approve()
    {
        var run = new Argument<string>("run") { Description = "Run id" };
        var node = new Argument<string>("node") { Description = "Node waiting for approval" };
        var reject = new Option<bool>("--reject") { Description = "Reject instead of approve" };
        var comment = new Option<string>("--comment", "-m") { Description = "Why (recorded with the decision)", Required = true };
        var approve = new Command("approve", "Approve (or --reject) a node waiting for approval") { run, node, reject, comment };
        approve.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var decision = parse.GetValue(reject) ? "reject" : "approve";
            var result = await server.PostAsync($"api/runs/{Uri.EscapeDataString(parse.GetValue(run)!)}/approvals",
                new { node = parse.GetValue(node), decision, comment = parse.GetValue(comment) }, ct);
            Console.WriteLine($"{Cli.Str(result!["decision"])} by {Cli.Str(result["decidedBy"])}: node {Cli.Str(result["nodeId"])} of {Cli.Str(result["runId"])}");
            return 0;
        }));
        return approve;
    }

    public static Command Approvals()
    {
        var approvals = new Command("approvals", "Approvals waiting for a decision");
        var list = new Command("list", "Open approvals, oldest first");
        list.SetAction((parse, ct) => Cli.WithServer(parse, async server =>
        {
            var items = (await server.GetAsync("api/approvals", ct))!.AsArray();
            Cli.Table(items.Select(a => new[]
            {
                Cli.Str(a!["runId"]), Cli.Str(a["nodeId"]), Cli.Str(a["allowedRole"]), Cli.Str(a["startedBy"]),
                Cli.Str(a["requestedAt"]), Cli.Str(a["prompt"]),
            }), "RUN", "NODE", "ROLE", "STARTED BY", "REQUESTED AT", "PROMPT");
            return 0;
        }));
        approvals.Add(list);
        return approvals;
    }

    internal static JsonObject ParseInputs(IEnumerable<string> pairs)
    {
        var inputs = new JsonObject();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new CliException($"--input '{pair}' is not name=value", 2);
            var (name, text) = (pair[..eq], pair[(eq + 1)..]);
            JsonNode? value;
            try
            {
                value = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                value = JsonValue.Create(text);
            }
            inputs[name] = value;
        }
        return inputs;
    }

    private static void PrintRun(JsonNode run)
    {
        var s = run["run"]!;
        Console.WriteLine($"run {Cli.Str(s["runId"])}: {Cli.Str(s["runbookId"])} v{Cli.Str(s["runbookVersion"])} on {Cli.Str(s["clusterId"]) switch { "" => "no cluster", var c => c }}" +
                          (s["dryRun"]?.GetValue<bool>() == true ? " (dry run)" : ""));
        Console.WriteLine($"status: {Cli.Str(s["status"])}{(s["waitingForApproval"]?.GetValue<bool>() == true ? ", waiting for approval" : "")}; started by {Cli.Str(s["startedBy"])} at {Cli.Str(s["startedAt"])}" +
                          (s["endedAt"] is { } e ? $", ended {Cli.Str(e)}" : "") + (s["error"] is { } err ? $"\nerror: {Cli.Str(err)}" : ""));
        Console.WriteLine();
        Cli.Table(run["nodes"]!.AsArray().Select(n => new[]
        {
            Cli.Str(n!["nodeId"]), Cli.Str(n["activity"]), Cli.Str(n["state"]), Cli.Str(n["outcome"]), Cli.Str(n["attempts"]), Cli.Str(n["error"]),
        }), "NODE", "ACTIVITY", "STATE", "OUTCOME", "ATTEMPTS", "ERROR");
        Console.WriteLine();
        foreach (var j in run["journal"]!.AsArray())
        {
            Console.WriteLine($"{Cli.Str(j!["startedAt"])} {Cli.Str(j["nodeId"])} #{Cli.Str(j["attempt"])} {Cli.Str(j["status"])} {Cli.Str(j["outcome"])}".TrimEnd());
            foreach (var line in Cli.Str(j["log"]).Split('\n', StringSplitOptions.RemoveEmptyEntries)) Console.WriteLine("    " + line);
            if (j["error"] is { } error) Console.WriteLine("    error: " + Cli.Str(error));
        }
        foreach (var a in run["approvals"]!.AsArray())
            Console.WriteLine($"approval at {Cli.Str(a!["nodeId"])}: {(a["decision"] is null ? "open" : $"{Cli.Str(a["decision"])} by {Cli.Str(a["decidedBy"])}: {Cli.Str(a["comment"])}")}");
    }
}
