using System.Text.RegularExpressions;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Runtime;

namespace PgHa.Activities.Tests;

/// <summary>
/// The changes in a run's journal, per node of a mutating activity: a dry run's "[plan] host: change" lines, a real
/// run's "[change] host: change" lines, in the same words. A plan's notes are not changes: an assumption in
/// parentheses, a file's content or diff (indented). The run's id (in tokens and keys) reads as &lt;run&gt;.
/// </summary>
internal static class JournalChanges
{
    public const string Planned = "[plan] ";
    public const string Made = "[change] ";

    public static List<(string Node, string Change)> Read(RunView run, string marker, ActivityCatalog catalog)
    {
        var mutating = run.Nodes.Where(n => catalog.Find(n.Activity)?.Mutates == true).Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal);
        return run.Journal.Where(j => mutating.Contains(j.NodeId)).OrderBy(j => j.Id)
            .SelectMany(j => (j.Log ?? "").Split('\n')
                .Where(line => line.StartsWith(marker, StringComparison.Ordinal))
                .Select(line => line[marker.Length..].TrimEnd('\r').Replace(run.Run.RunId, "<run>", StringComparison.Ordinal))
                .Where(IsChange)
                .Select(change => (j.NodeId, change)))
            .ToList();
    }

    /// <summary>
    /// Each change the real run made, matched to one entry of the plan (a &lt;planned:…&gt; placeholder matches any
    /// word); returns the changes the plan did not list and the planned entries nothing matched.
    /// </summary>
    public static (List<(string Node, string Change)> NotPlanned, List<(string Node, string Change)> NotMade) Compare(
        IReadOnlyList<(string Node, string Change)> plan, IReadOnlyList<(string Node, string Change)> made)
    {
        var open = plan.Select(p => (p.Node, p.Change, Pattern: Pattern(p.Change))).ToList();
        var notPlanned = new List<(string, string)>();
        foreach (var (node, change) in made)
        {
            var match = open.FindIndex(p => p.Node == node && p.Pattern.IsMatch(change));
            if (match < 0) notPlanned.Add((node, change));
            else open.RemoveAt(match);
        }
        return (notPlanned, open.Select(p => (p.Node, p.Change)).ToList());
    }

    private static bool IsChange(string entry)
    {
        var colon = entry.IndexOf(": ", StringComparison.Ordinal);
        var text = colon > 0 && !entry[..colon].Contains(' ') ? entry[(colon + 2)..] : entry;
        return !(text.StartsWith('(') || text.StartsWith(' '));
    }

    private static Regex Pattern(string planned) =>
        new("^" + Regex.Replace(Regex.Escape(planned), @"<planned:[^>]*>", @"\S+") + "$", RegexOptions.CultureInvariant);
}
