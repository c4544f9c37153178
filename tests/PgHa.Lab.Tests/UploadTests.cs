using PgHa.Remote;

namespace PgHa.Lab.Tests;

[Collection("lab")]
public sealed class UploadTests(LabFixture lab) : IDisposable
{
    private readonly string _local = Directory.CreateTempSubdirectory("pgha-upload-").FullName;

    [Fact]
    public async Task Uploading_the_same_folder_twice_transfers_nothing_the_second_time()
    {
        Directory.CreateDirectory(Path.Combine(_local, "sub dir"));
        await File.WriteAllTextAsync(Path.Combine(_local, "promote.sh"), "#!/bin/sh\necho promote\n");
        File.SetUnixFileMode(Path.Combine(_local, "promote.sh"), (UnixFileMode)0x1ED); // 0755
        await File.WriteAllTextAsync(Path.Combine(_local, "sub dir", "pgha.env"), "PGDATA=/var/lib/postgresql/15/pgha\n");
        var host = lab.Host("pgha-slave", "silkcloud");
        const string remote = "/home/silkcloud/pgha-upload-test";

        var first = await host.UploadDirectoryAsync(_local, remote);
        Assert.Equal([$"{remote}/promote.sh", $"{remote}/sub dir/pgha.env"], first.Transferred.Order());
        Assert.Empty(first.Skipped);

        var second = await host.UploadDirectoryAsync(_local, remote);
        Assert.Empty(second.Transferred);
        Assert.Equal(2, second.Skipped.Count);

        await File.AppendAllTextAsync(Path.Combine(_local, "sub dir", "pgha.env"), "PGPORT=5432\n");
        var third = await host.UploadDirectoryAsync(_local, remote);
        Assert.Equal([$"{remote}/sub dir/pgha.env"], third.Transferred);

        Assert.Equal("755\npromote\n644", await host.ReadAsync(RemoteCommand.Bash(
            $"cd {remote} && stat -c %a promote.sh && ./promote.sh && stat -c %a 'sub dir/pgha.env'")));
        Assert.Equal("PGDATA=/var/lib/postgresql/15/pgha\nPGPORT=5432", await host.ReadAsync(RemoteCommand.Run("cat", $"{remote}/sub dir/pgha.env")));
        // No temporary files left next to the targets.
        Assert.Equal("", await host.ReadAsync(RemoteCommand.Bash($"find {remote} -name '*.pgha-*'")));
    }

    [Fact]
    public async Task A_root_owned_target_is_written_through_sudo_with_mode_and_owner()
    {
        var file = Path.Combine(_local, "userlist.txt");
        await File.WriteAllTextAsync(file, "\"app\" \"not-a-real-secret\"\n");
        var devops = lab.Host("pgha-master", "devops");
        var options = new UploadOptions { Sudo = true, Owner = "postgres:postgres", Mode = (UnixFileMode)0x180 }; // 0600

        var first = await devops.UploadFileAsync(file, "/etc/pgbouncer/userlist.txt", options);
        Assert.Single(first.Transferred);
        Assert.Equal("postgres:postgres 600", await devops.ReadAsync(new RemoteCommand { Program = "stat", Arguments = ["-c", "%U:%G %a", "/etc/pgbouncer/userlist.txt"], Sudo = true }));

        var second = await devops.UploadFileAsync(file, "/etc/pgbouncer/userlist.txt", options);
        Assert.Empty(second.Transferred);
        Assert.Single(second.Skipped);
        Assert.Equal("", await devops.ReadAsync(new RemoteCommand { Script = "ls -A /tmp | grep pgha-upload || true", Sudo = true }));
    }

    public void Dispose() => Directory.Delete(_local, recursive: true);
}
