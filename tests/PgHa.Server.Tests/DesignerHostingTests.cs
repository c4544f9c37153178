using System.Net;

namespace PgHa.Server.Tests;

/// <summary>The server as the designer's host: its files at /, a shared deep link answered with the app, and the key's role for the UI.</summary>
public sealed class DesignerHostingTests
{
    [Fact]
    public async Task A_shared_run_link_loads_the_designer_while_unknown_api_paths_and_missing_files_stay_404()
    {
        var designer = Directory.CreateTempSubdirectory("pgha-designer-dist-").FullName;
        await File.WriteAllTextAsync(Path.Combine(designer, "index.html"), "<!doctype html><div id=\"root\"></div>");
        var server = new ServerHost("--PgHa:DesignerFolder", designer);
        await server.InitializeAsync();
        try
        {
            using var browser = server.Client(null);
            foreach (var path in new[] { "/", "/runs/run-1a2b3c4d5e6f", "/runbooks/planned-failover?version=2", "/approvals" })
            {
                var page = await browser.GetAsync(path);
                Assert.True(page.StatusCode == HttpStatusCode.OK, $"{path}: {page.StatusCode}");
                Assert.Contains("<div id=\"root\">", await page.Content.ReadAsStringAsync());
            }
            await (await browser.GetAsync("/api/no-such-route")).Problem(404);
            Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/assets/missing.js")).StatusCode);
            await (await browser.GetAsync("/api/runs")).Problem(401);
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(designer, recursive: true);
        }
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("approver")]
    public async Task A_key_learns_its_name_and_role(string role)
    {
        var server = new ServerHost();
        await server.InitializeAsync();
        try
        {
            var me = await (await server.Client(role).GetAsync("api/me")).Body();
            Assert.Equal($"{role}-key", me["name"]!.GetValue<string>());
            Assert.Equal(role, me["role"]!.GetValue<string>());
            await (await server.Client(null).GetAsync("api/me")).Problem(401);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
