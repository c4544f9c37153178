using PgHa.Workflows.Model;

namespace PgHa.Workflows.Validation;

/// <summary>
/// Adjacency of a runbook whose connections all name existing nodes, built once so every lookup is constant time:
/// validation stays linear in the size of the graph (a Fork with thousands of branches must not cost seconds).
/// </summary>
public sealed class RunbookGraph
{
    private readonly IReadOnlyDictionary<string, RunbookNode> _nodes;
    private readonly Dictionary<string, List<string>> _successors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _predecessors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<RunbookConnection>> _outgoing = new(StringComparer.Ordinal);

    public RunbookGraph(RunbookDefinition runbook, IReadOnlyDictionary<string, RunbookNode> nodes)
    {
        _nodes = nodes;
        foreach (var id in nodes.Keys)
        {
            _successors[id] = [];
            _predecessors[id] = [];
            _outgoing[id] = [];
        }
        var edges = new HashSet<(string, string)>();
        foreach (var c in runbook.Connections)
        {
            _outgoing[c.From].Add(c);
            if (!edges.Add((c.From, c.To))) continue;
            _successors[c.From].Add(c.To);
            _predecessors[c.To].Add(c.From);
        }
    }

    public RunbookGraph(RunbookDefinition runbook) : this(runbook, runbook.Nodes.ToDictionary(n => n.Id, StringComparer.Ordinal)) { }

    public IEnumerable<string> Nodes => _successors.Keys;

    public RunbookNode Node(string id) => _nodes[id];

    /// <summary>The connections leaving a node, in the order the runbook lists them.</summary>
    public IReadOnlyList<RunbookConnection> Outgoing(string id) => _outgoing[id];

    public bool Contains(string id) => _successors.ContainsKey(id);

    public IReadOnlyList<string> Successors(string id) => _successors[id];

    public IReadOnlyList<string> Predecessors(string id) => _predecessors[id];

    public HashSet<string> ReachableFrom(string start)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var n))
            foreach (var s in _successors[n])
                if (seen.Add(s)) queue.Enqueue(s);
        return seen;
    }

    /// <summary>One cycle as a node path, or null when the graph is acyclic.</summary>
    public List<string>? FindCycle()
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on stack, 2 = done
        var stack = new List<string>();
        foreach (var root in _successors.Keys)
        {
            var cycle = Visit(root);
            if (cycle is not null) return cycle;
        }
        return null;

        List<string>? Visit(string n)
        {
            if (state.TryGetValue(n, out var s))
                return s == 1 ? stack[stack.IndexOf(n)..] : null;
            state[n] = 1;
            stack.Add(n);
            foreach (var next in _successors[n])
            {
                var cycle = Visit(next);
                if (cycle is not null) return cycle;
            }
            stack.RemoveAt(stack.Count - 1);
            state[n] = 2;
            return null;
        }
    }
}
