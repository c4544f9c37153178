using Xunit.Abstractions;
using Xunit.Sdk;

namespace PgHa.Activities.Tests;

/// <summary>A test that is one stage of a runbook sequence on a shared cluster: stages run in this order (<see cref="StageOrderer"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StageAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

/// <summary>Orders a class's tests by <see cref="StageAttribute"/> (tests without one first), as the runbook runs them.</summary>
public sealed class StageOrderer : ITestCaseOrderer
{
    public const string TypeName = "PgHa.Activities.Tests.StageOrderer";
    public const string AssemblyName = "PgHa.Activities.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => Order(t)).ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);

    private static int Order(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(StageAttribute).AssemblyQualifiedName!).FirstOrDefault()?.GetConstructorArguments().FirstOrDefault() as int? ?? 0;
}

/// <summary>
/// Which stages have passed on the shared cluster: a stage that needs the cluster an earlier one leaves fails at once,
/// naming that stage, instead of failing somewhere inside on a cluster that was never built.
/// </summary>
public sealed class RunbookStages
{
    private readonly HashSet<string> _passed = new(StringComparer.Ordinal);

    /// <summary>A token unique to this sequence, for the rows one stage writes and a later one checks.</summary>
    public string Token { get; } = "e2e-" + Guid.NewGuid().ToString("N");

    public void Require(string stage)
    {
        lock (_passed)
            if (!_passed.Contains(stage))
                throw new XunitException($"the stage '{stage}' has not passed, and this one needs the cluster it leaves (run the whole class; stages run in order)");
    }

    public void Passed(string stage)
    {
        lock (_passed) _passed.Add(stage);
    }
}
