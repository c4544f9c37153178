using PgHa.Workflows.Activities;
using PgHa.Workflows.Model;

namespace PgHa.Workflows.Validation;

/// <summary>
/// Fork/Join regions must be well structured: every branch of a Fork ends at the same Join, branches share no
/// node, nothing outside the region enters it, and every Join closes exactly one Fork. WorkflowCore runs a
/// step once per arriving pointer, so this is what makes a Join run its successor exactly once.
/// </summary>
public sealed class ForkJoinStructure(RunbookDefinition runbook, RunbookGraph graph, ActivityCatalog catalog)
{
    private readonly Dictionary<string, ForkRegion?> _regions = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, ForkRegion?> Regions => _regions;

    public void Check(List<RunbookError> errors)
    {
        foreach (var fork in runbook.Nodes.Where(n => n.Activity == RunbookValidator.ForkActivity))
            Match(fork.Id, errors);

        var joinOwners = _regions.Values.Where(r => r is not null).GroupBy(r => r!.Join);
        foreach (var owners in joinOwners.Where(g => g.Count() > 1))
            errors.Add(new RunbookError(owners.Key, "connections", $"Join '{owners.Key}' closes more than one Fork ({string.Join(", ", owners.Select(o => o!.Fork))}); give each Fork its own Join"));

        var matchedJoins = _regions.Values.Where(r => r is not null).Select(r => r!.Join).ToHashSet();
        var anyBrokenFork = _regions.Values.Any(r => r is null); // an unmatched Join next to a broken Fork is that Fork's error
        foreach (var join in runbook.Nodes.Where(n => n.Activity == RunbookValidator.JoinActivity && !matchedJoins.Contains(n.Id)))
            if (!anyBrokenFork)
                errors.Add(new RunbookError(join.Id, "connections", "this Join closes no Fork; every branch of a Fork must end at the same Join"));

        foreach (var region in _regions.Values.Where(r => r is not null))
            CheckBranchEnds(region!, errors);
    }

    public ForkRegion? Match(string forkId, List<RunbookError> errors)
    {
        if (_regions.TryGetValue(forkId, out var known)) return known;
        _regions[forkId] = null; // guards re-entry; acyclic graphs never need it

        var branches = graph.Successors(forkId).ToList();
        if (branches.Count < 2)
        {
            errors.Add(new RunbookError(forkId, "connections", $"a Fork needs at least two outgoing connections on '{ActivityOutcomes.Done}', one per branch; it has {branches.Count}"));
            return null;
        }

        var branchNodes = new List<HashSet<string>>();
        // Which branch reached a node first: a second branch stops there, so the walk of a Fork stays linear.
        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        string? join = null;
        var ok = true;
        for (var i = 0; i < branches.Count; i++)
        {
            var head = branches[i];
            var nodes = new HashSet<string>(StringComparer.Ordinal);
            var joins = new HashSet<string>(StringComparer.Ordinal);
            if (!Walk(new BranchWalk(forkId, branches, i, owner, nodes, joins), head, errors)) ok = false;
            branchNodes.Add(nodes);
            if (joins.Count == 0)
            {
                errors.Add(new RunbookError(forkId, "connections", $"the branch starting at '{head}' never reaches a Join; every branch of a Fork must end at the same Join"));
                ok = false;
            }
            else if (joins.Count > 1)
            {
                errors.Add(new RunbookError(forkId, "connections", $"the branch starting at '{head}' reaches several Joins ({string.Join(", ", joins.Order())}); it must end at exactly one"));
                ok = false;
            }
            else if (join is null) join = joins.First();
            else if (join != joins.First())
            {
                errors.Add(new RunbookError(forkId, "connections", $"the branches end at different Joins ('{join}' and '{joins.First()}'); all branches of a Fork must end at the same Join"));
                ok = false;
            }
        }
        if (!ok || join is null) return null;

        var region = new ForkRegion(forkId, join, branches, branchNodes);
        foreach (var node in region.Inside)
        foreach (var p in graph.Predecessors(node).Where(p => p != forkId && !region.Inside.Contains(p)))
        {
            errors.Add(new RunbookError(node, "connections", $"'{p}' connects into Fork '{forkId}'s region from outside; only the Fork may start its branches"));
            ok = false;
        }
        foreach (var p in graph.Predecessors(join).Where(p => p != forkId && !region.Inside.Contains(p)))
        {
            errors.Add(new RunbookError(join, "connections", $"Join '{join}' has an incoming connection from '{p}', which is outside Fork '{forkId}'s branches"));
            ok = false;
        }
        if (!ok) return null;
        _regions[forkId] = region;
        return region;
    }

    private sealed record BranchWalk(string Fork, IReadOnlyList<string> Heads, int Branch, Dictionary<string, int> Owner,
        HashSet<string> Nodes, HashSet<string> Joins);

    // Collects the branch's nodes up to its Join; a nested Fork contributes its whole region and the walk resumes after its Join.
    private bool Walk(BranchWalk walk, string node, List<RunbookError> errors)
    {
        var activity = graph.Node(node).Activity;
        if (activity == RunbookValidator.JoinActivity)
        {
            walk.Joins.Add(node);
            return true;
        }
        if (!Claim(walk, node, errors)) return false;
        if (!walk.Nodes.Add(node)) return true;
        var next = (IEnumerable<string>)graph.Successors(node);
        if (activity == RunbookValidator.ForkActivity)
        {
            var inner = Match(node, errors);
            if (inner is null) return false;
            foreach (var n in inner.Inside.Append(inner.Join))
                if (!Claim(walk, n, errors)) return false;
            walk.Nodes.UnionWith(inner.Inside);
            walk.Nodes.Add(inner.Join);
            next = graph.Successors(inner.Join);
        }
        var ok = true;
        foreach (var s in next)
            ok &= Walk(walk, s, errors);
        return ok;
    }

    private static bool Claim(BranchWalk walk, string node, List<RunbookError> errors)
    {
        if (walk.Owner.TryAdd(node, walk.Branch) || walk.Owner[node] == walk.Branch) return true;
        errors.Add(new RunbookError(node, "connections", $"node '{node}' is in two branches of Fork '{walk.Fork}' ('{walk.Heads[walk.Owner[node]]}' and '{walk.Heads[walk.Branch]}'); it would run twice — give each branch its own nodes"));
        return false;
    }

    // An unconnected Done inside a branch would end the branch without reaching the Join, which then never fires.
    private void CheckBranchEnds(ForkRegion region, List<RunbookError> errors)
    {
        foreach (var nodeId in region.Inside)
        {
            var outcomes = catalog.Find(graph.Node(nodeId).Activity)?.Outcomes ?? [];
            var connected = graph.Outgoing(nodeId).Any(c => c.Outcome == ActivityOutcomes.Done);
            if (outcomes.Contains(ActivityOutcomes.Done) && !connected)
                errors.Add(new RunbookError(nodeId, "connections", $"outcome '{ActivityOutcomes.Done}' has no connection inside Fork '{region.Fork}'; every branch must lead to Join '{region.Join}'"));
        }
    }
}

/// <summary>A matched Fork…Join region; branch i holds the nodes reachable from the Fork's i-th target.</summary>
public sealed record ForkRegion(string Fork, string Join, IReadOnlyList<string> BranchHeads, IReadOnlyList<HashSet<string>> Branches)
{
    public HashSet<string> Inside { get; } = Branches.SelectMany(b => b).ToHashSet(StringComparer.Ordinal);

    private readonly Dictionary<string, int> _branchOf = Branches.SelectMany((b, i) => b.Select(n => (n, i)))
        .GroupBy(x => x.n, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);

    /// <summary>Which branch a node arriving at the Join came from; the Fork itself for an empty branch.</summary>
    public int BranchOf(string predecessor)
    {
        if (_branchOf.TryGetValue(predecessor, out var branch)) return branch;
        if (predecessor == Fork)
            for (var i = 0; i < BranchHeads.Count; i++)
                if (BranchHeads[i] == Join) return i;
        throw new InvalidOperationException($"'{predecessor}' is not in any branch of Fork '{Fork}'");
    }
}
