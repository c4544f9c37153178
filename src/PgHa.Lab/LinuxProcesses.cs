using System.Globalization;

namespace PgHa.Lab;

/// <summary>A process as /proc shows it from the root namespace.</summary>
internal sealed record ProcessInfo(int Pid, int ParentPid, string Name, IReadOnlyList<int> NamespacePids, ulong NetNamespace)
{
    /// <summary>The pid as seen inside the innermost pid namespace (e.g. 1 for a host's init).</summary>
    public int InnerPid => NamespacePids.Count > 0 ? NamespacePids[^1] : Pid;
}

/// <summary>Reads /proc directly: namespaces, pids and mounts, the facts teardown and its checks rely on.</summary>
internal static class LinuxProcesses
{
    public static IEnumerable<ProcessInfo> All()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            var info = Read(pid);
            if (info is not null) yield return info;
        }
    }

    public static ProcessInfo? Read(int pid)
    {
        try
        {
            string name = "", ppid = "0";
            IReadOnlyList<int> nspids = [];
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Name:", StringComparison.Ordinal)) name = line[5..].Trim();
                else if (line.StartsWith("PPid:", StringComparison.Ordinal)) ppid = line[5..].Trim();
                else if (line.StartsWith("NSpid:", StringComparison.Ordinal))
                    nspids = line[6..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)
                        .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
            }
            return new ProcessInfo(pid, int.Parse(ppid, CultureInfo.InvariantCulture), name, nspids, Namespace(pid, "net") ?? 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }

    /// <summary>Inode of /proc/PID/ns/KIND ("net:[4026532177]" → 4026532177), or null if the process is gone.</summary>
    public static ulong? Namespace(int pid, string kind)
    {
        try
        {
            var target = new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget;
            if (target is null) return null;
            var open = target.IndexOf('[');
            return ulong.Parse(target.AsSpan(open + 1, target.Length - open - 2), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }

    public static bool IsAlive(LabHostProcess host) => Namespace(host.InitPid, "net") == host.NetNamespace;

    /// <summary>Every process in the given network namespace.</summary>
    public static IReadOnlyList<ProcessInfo> InNetNamespace(ulong inode) => All().Where(p => p.NetNamespace == inode).ToList();

    /// <summary>Pids of processes whose mount table shows <paramref name="path"/> (a lab bind source).</summary>
    public static IReadOnlyList<int> SeeingMount(string path)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                if (File.ReadAllText($"/proc/{pid}/mountinfo").Contains(path, StringComparison.Ordinal)) pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return pids;
    }
}
