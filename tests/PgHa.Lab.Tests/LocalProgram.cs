using System.Diagnostics;

namespace PgHa.Lab.Tests;

/// <summary>Runs a program of this machine (the bastion) for independent checks; it must succeed.</summary>
internal static class LocalProgram
{
    public static string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)} exited with {p.ExitCode}");
        return text;
    }
}
