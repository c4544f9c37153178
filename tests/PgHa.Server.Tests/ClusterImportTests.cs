using System.Text.Json.Nodes;

namespace PgHa.Server.Tests;

/// <summary>Cluster inventories carry addresses, names and settings to hosts and files to SSH: only plain values get in.</summary>
public sealed class ClusterImportTests(ServerHost server) : IClassFixture<ServerHost>
{
    private async Task<JsonObject> Refused(Action<JsonObject> change)
    {
        var inventory = JsonNode.Parse(TestRunbooks.Cluster(server.Directory, "hostile"))!.AsObject();
        change(inventory);
        using var @operator = server.Client("operator");
        return await (await @operator.PostAsync("api/clusters", Http.Json(inventory.ToJsonString()))).Problem(400);
    }

    [Theory]
    [InlineData("1.2.3.4;touch${IFS}/tmp/pwned")]
    [InlineData("`id`")]
    [InlineData("host name")]
    public async Task Addresses_that_are_neither_ip_literals_nor_dns_names_are_refused(string address) =>
        Assert.Contains("neither an IP address nor a DNS name", (await Refused(i => i["hosts"]![0]!["address"] = address)).FieldErrors("hosts[0].address")[0]);

    [Fact]
    public async Task One_address_written_three_ways_is_one_host()
    {
        var problem = await Refused(i =>
        {
            i["hosts"]![0]!["address"] = "127.0.0.1";
            i["hosts"]![1]!["address"] = "127.0.0.01";
        });
        Assert.Contains("duplicate address", problem.FieldErrors("hosts[1].address")[0]);
    }

    [Fact]
    public async Task Host_names_and_settings_values_are_plain()
    {
        Assert.NotEmpty((await Refused(i => i["hosts"]![0]!["name"] = "m; rm -rf / $(id)")).FieldErrors("hosts[0].name"));
        Assert.NotEmpty((await Refused(i => i["settings"] = new JsonObject { ["poolMode"] = "transaction$(id)" })).FieldErrors("settings.poolMode"));
    }

    [Fact]
    public async Task Key_files_outside_the_configured_directories_are_refused_without_looking_at_them()
    {
        var shadow = await Refused(i => i["accounts"]!["admin"]!["keyFile"] = "/etc/shadow");
        Assert.Contains("PgHa:Clusters:KeyDirectories", shadow.FieldErrors("accounts.admin.keyFile")[0]);
        // The same answer whether the file exists or not: no oracle for the filesystem.
        var missing = await Refused(i => i["accounts"]!["admin"]!["keyFile"] = "/etc/no-such-file");
        Assert.Equal(shadow.FieldErrors("accounts.admin.keyFile"), missing.FieldErrors("accounts.admin.keyFile"));
        Assert.NotEmpty((await Refused(i => i["knownHostsFile"] = "/etc/passwd")).FieldErrors("knownHostsFile"));
    }
}
