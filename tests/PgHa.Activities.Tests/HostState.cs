using PgHa.Clusters;
using PgHa.Remote;

namespace PgHa.Activities.Tests;

/// <summary>
/// What a DBA would compare before and after a dry run, read over SSH as root on each host (not with the product's
/// probes): the data folder's top level and its config files, sibling folders, the archive folder, Londiste state,
/// the deployment folder, silkcloud's SSH files, .pgpass and crontab, pgbouncer's files and live routes, and the daemons'
/// pid files with whether each process lives; and what psql as silkcloud says: in recovery, timeline (pg_control_checkpoint),
/// postmaster start time, replay paused, the WAL senders. Files that a running PostgreSQL rewrites by itself (WAL, stats)
/// and positions that move with every write (LSNs, lag) are left out.
/// </summary>
internal static class HostState
{
    /// <param name="rootHost">the host of a role, as an account that may sudo (devops on the lab)</param>
    /// <param name="secret">a secret's value by its purpose in the inventory</param>
    public static async Task<IReadOnlyDictionary<string, string>> ReadAsync(ClusterInventory inventory, Func<string, RemoteHost> rootHost, Func<string, string> secret)
    {
        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var role in new[] { "master", "slave", "replica" })
            state[role] = await rootHost(role).ReadAsync(Script(inventory) with
            {
                Sudo = true,
                Environment = new Dictionary<string, string> { ["PGPASSWORD"] = secret("pgbouncerAdminPassword"), ["APP_PASSWORD"] = secret("appPassword") },
            });
        return state;
    }

    /// <summary>The lines that differ, host by host ("role - line" was there before, "role + line" is there now).</summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        return before.Keys.Union(after.Keys).Order(StringComparer.Ordinal).SelectMany(role =>
        {
            var (was, now) = (Lines(before, role), Lines(after, role));
            return was.Except(now).Select(l => $"{role} - {l}").Concat(now.Except(was).Select(l => $"{role} + {l}"));
        }).ToList();

        static string[] Lines(IReadOnlyDictionary<string, string> state, string role) => state.TryGetValue(role, out var text) ? text.Split('\n') : [];
    }

    private static RemoteCommand Script(ClusterInventory inventory)
    {
        var p = inventory.Paths;
        var londiste = inventory.Settings.TryGetValue("londistePath", out var l) ? l : "/var/lib/postgresql/15/londiste";
        return RemoteCommand.Bash($$"""
            data={{ShellQuoting.Quote(p.Data)}}; archive={{ShellQuoting.Quote(p.Archive)}}; londiste={{ShellQuoting.Quote(londiste)}}
            deploy={{ShellQuoting.Quote(p.Deployment)}}; bouncer={{ShellQuoting.Quote(p.PgBouncerConfig)}}; sock={{ShellQuoting.Quote(p.SocketDir)}}
            home=$(getent passwd silkcloud | cut -d: -f6)
            files() { for f in "$@"; do [ -e "$f" ] && echo "$(sha256sum "$f" | cut -c1-16) $(stat -c '%a %U' "$f") $f"; done; return 0; }
            pidfile() { [ -f "$1" ] || return 0; local pid; pid=$(head -n1 "$1"); echo "$1 pid $pid $(kill -0 "$pid" 2>/dev/null && echo alive || echo dead)"; }
            echo "== data"; ls -1a "$data" 2>/dev/null | grep -v '^\.\.\?$' || true
            files "$data"/{PG_VERSION,postgresql.conf,pgha.conf,pg_hba.conf,postgresql.auto.conf,standby.signal,postmaster.pid}
            echo "== siblings"; ls -1a "$(dirname "$data")"
            echo "== archive"; stat -c '%a %U %n' "$archive" 2>/dev/null || true
            echo "== londiste"; files "$londiste"/*.ini; for f in "$londiste"/pid/*.pid; do pidfile "$f"; done
            echo "== deployment"; files "$deploy"/*
            echo "== silkcloud"; files "$home"/.pgpass "$home"/.ssh/*; crontab -l -u silkcloud 2>/dev/null || echo "(no crontab)"
            echo "== pgbouncer"; files "$bouncer"/*; pidfile "$sock/pgbouncer.pid"
            psql -X -qAt -h 127.0.0.1 -p {{inventory.Ports.PgBouncer}} -U pgbadmin pgbouncer -c 'SHOW DATABASES' 2>/dev/null | cut -d'|' -f1-4 || echo "(pgbouncer not answering)"
            # A global PAUSE shows nowhere in SHOW DATABASES: a query through it that is not answered does.
            PGPASSWORD="$APP_PASSWORD" timeout 5 psql -X -qAt -h 127.0.0.1 -p {{inventory.Ports.PgBouncer}} -U app -d appdb -c 'SELECT 1' >/dev/null 2>&1 && echo "serves appdb" || echo "does not serve appdb"
            echo "== postgres"
            runuser -u silkcloud -- psql -X -qAt -F ' ' -v ON_ERROR_STOP=1 -d appdb 2>/dev/null <<'SQL' || echo "(postgres not answering)"
            SELECT 'in recovery', pg_is_in_recovery();
            SELECT 'timeline', timeline_id FROM pg_control_checkpoint();
            SELECT 'postmaster started', pg_postmaster_start_time();
            SELECT 'replay', CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() ELSE 'n/a (primary)' END;
            SELECT 'wal sender', application_name, host(client_addr), state, sync_state FROM pg_stat_replication ORDER BY 3;
            SQL
            echo "== plan folders left"; ls -d /tmp/pgha-plan-* 2>/dev/null || true
            """);
    }
}
