using System.Text;
using PgHa.Workflows.Store.Entities;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

public sealed class SecretTests
{
    [Fact]
    public async Task A_secret_used_in_a_node_never_reaches_the_journal_outputs_or_the_store_file()
    {
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable("PGHA_SECRET_ENGINE_TEST_PASSWORD", secret);
        string directory;
        await using (var engine = await EngineHarness.StartAsync())
        {
            await engine.SaveAsync(Json("secretive",
                [("say", "Log", new { message = "password is ${secrets.engine-test-password}" }),
                 ("echo", "Echo", new { text = "${nodes.say.outputs.message}" })],
                ["say -Done-> echo"]));

            var run = await engine.WaitForEndAsync((await engine.StartAsync("secretive")).Run.RunId);

            Assert.Equal(RunStatus.Completed, run.Run.Status);
            var say = run.Journal.Single(j => j.NodeId == "say");
            Assert.Contains("password is ***", say.Log);
            Assert.Equal("password is ***", say.Outputs!.Value.GetProperty("message").GetString());
            Assert.Contains("echo:password is ***:0:", engine.Recorder.Executions);
            Assert.DoesNotContain(secret, System.Text.Json.JsonSerializer.Serialize(run));
            directory = Path.GetDirectoryName(engine.DatabaseFile)!;

            // The raw store (database and write-ahead log) holds no trace of the value either.
            foreach (var file in Directory.GetFiles(directory))
                Assert.DoesNotContain(secret, Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_secret_too_short_to_redact_is_refused_where_it_is_loaded_naming_the_secret_not_the_value()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("pgha-secrets-").FullName, "secrets.json");
        File.WriteAllText(file, "{\"db-password\": \"q7\"}");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var fromFile = Assert.Throws<InvalidOperationException>(() => new PgHa.Secrets.SecretStore(new PgHa.Secrets.SecretRedactor(), file));
        Assert.Contains("'db-password'", fromFile.Message);
        Assert.DoesNotContain("q7", fromFile.Message);

        Environment.SetEnvironmentVariable("PGHA_SECRET_SHORT_PIN", "Z9");
        var store = new PgHa.Secrets.SecretStore(new PgHa.Secrets.SecretRedactor());
        var fromEnvironment = Assert.Throws<InvalidOperationException>(() => store.TryGet("short-pin", out _));
        Assert.Contains("'short-pin'", fromEnvironment.Message);
        Assert.DoesNotContain("Z9", fromEnvironment.Message);
    }
}
