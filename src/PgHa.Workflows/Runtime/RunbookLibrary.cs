using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Compilation;
using PgHa.Workflows.Model;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using PgHa.Workflows.Validation;
using WorkflowCore.Interface;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Stored runbook versions: validated before they are saved, immutable once saved, compiled and registered with
/// WorkflowCore exactly once and never deregistered (a run of a missing version would spin in the engine).
/// </summary>
public sealed class RunbookLibrary(
    IDbContextFactory<PgHaDbContext> contexts,
    ActivityCatalog catalog,
    RunbookCompiler compiler,
    IWorkflowRegistry registry,
    RuntimeOptions options,
    ILogger<RunbookLibrary> logger)
{
    private readonly ConcurrentDictionary<(string, int), CompiledRunbook> _compiled = new();
    private readonly ConcurrentDictionary<(string, int), string> _broken = new();
    private readonly SemaphoreSlim _saveGate = new(1, 1);

    public IReadOnlyList<RunbookError> Validate(string json)
    {
        var parsed = ParseWithinLimits(json);
        return parsed.Definition is null ? parsed.Errors : new RunbookValidator(catalog).Validate(parsed.Definition);
    }

    // The size of what is sent is bounded before any graph work, each limit reported under its field.
    private RunbookParseResult ParseWithinLimits(string json)
    {
        var limits = options.Limits;
        var bytes = System.Text.Encoding.UTF8.GetByteCount(json);
        if (bytes > limits.MaxRunbookBytes)
            return new RunbookParseResult(null, [new RunbookError(null, "$", $"the runbook is {bytes} bytes; at most {limits.MaxRunbookBytes} are accepted (PgHa:Limits:MaxRunbookBytes)")]);
        var parsed = RunbookJson.Parse(json);
        if (parsed.Definition is not { } d) return parsed;
        var errors = new List<RunbookError>();
        if (d.Nodes.Count > limits.MaxNodes)
            errors.Add(new RunbookError(null, "nodes", $"the runbook has {d.Nodes.Count} nodes; at most {limits.MaxNodes} are accepted (PgHa:Limits:MaxNodes)"));
        if (d.Connections.Count > limits.MaxConnections)
            errors.Add(new RunbookError(null, "connections", $"the runbook has {d.Connections.Count} connections; at most {limits.MaxConnections} are accepted (PgHa:Limits:MaxConnections)"));
        return errors.Count == 0 ? parsed : new RunbookParseResult(null, errors);
    }

    /// <summary>
    /// Saves a runbook version as a draft. The same content under an existing version is accepted as unchanged;
    /// different content under an existing version is refused. With <paramref name="asNextVersion"/> the version in
    /// the JSON is replaced by the next free one. <paramref name="published"/> publishes it at once: only for files
    /// reviewed by other means (the repository's <c>workflows/</c>).
    /// </summary>
    public async Task<SavedRunbook> SaveAsync(string json, string savedBy, bool asNextVersion, CancellationToken cancellationToken = default,
        bool published = false)
    {
        var parsed = ParseWithinLimits(json);
        if (parsed.Definition is null) throw new RunbookValidationException(parsed.Errors);
        var definition = parsed.Definition;

        await _saveGate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var latest = await db.RunbookVersions.Where(v => v.RunbookId == definition.Id)
                .MaxAsync(v => (int?)v.Version, cancellationToken) ?? 0;
            if (asNextVersion) definition = definition with { Version = latest + 1 };

            var errors = new RunbookValidator(catalog).Validate(definition);
            if (errors.Count > 0) throw new RunbookValidationException(errors);

            var canonical = RunbookJson.Serialize(definition);
            var existing = await db.RunbookVersions.AsNoTracking()
                .FirstOrDefaultAsync(v => v.RunbookId == definition.Id && v.Version == definition.Version, cancellationToken);
            if (existing is not null)
            {
                if (existing.Json == canonical) return new SavedRunbook(definition, Created: false);
                throw new RunbookValidationException([new RunbookError(null, "version",
                    $"version {definition.Version} of '{definition.Id}' already exists with different content and saved versions never change; save it as version {latest + 1}")]);
            }

            var compiled = Register(definition);
            var now = DateTime.UtcNow;
            db.RunbookVersions.Add(new RunbookVersionRecord
            {
                RunbookId = definition.Id, Version = definition.Version, Name = definition.Name, Json = canonical,
                CreatedAt = now, CreatedBy = savedBy, PublishedAt = published ? now : null, PublishedBy = published ? savedBy : null,
            });
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Saved runbook {RunbookId} version {Version} by {SavedBy}", definition.Id, definition.Version, savedBy);
            return new SavedRunbook(compiled.Definition, Created: true);
        }
        finally
        {
            _saveGate.Release();
        }
    }

    /// <summary>Loads every <c>*.json</c> of a folder as a runbook version; problems are reported per file, never thrown.</summary>
    public async Task<IReadOnlyList<SeedResult>> SeedFromFolderAsync(string folder, CancellationToken cancellationToken = default)
    {
        var results = new List<SeedResult>();
        if (!Directory.Exists(folder)) return results;
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order())
        {
            try
            {
                var saved = await SaveAsync(await File.ReadAllTextAsync(file, cancellationToken), "seed:" + Path.GetFileName(file),
                    asNextVersion: false, cancellationToken, published: true);
                results.Add(new SeedResult(file, saved.Definition.Id, saved.Definition.Version, saved.Created, []));
            }
            catch (RunbookValidationException e)
            {
                logger.LogError("Runbook file {File} was not loaded:\n{Errors}", file, string.Join("\n", e.Errors));
                results.Add(new SeedResult(file, null, null, false, e.Errors));
            }
        }
        return results;
    }

    /// <summary>
    /// Compiles and registers every stored version not registered yet — at start-up all of them, later those saved by
    /// another server on a shared store. Returns the versions that do not compile; each is reported once.
    /// </summary>
    public async Task<IReadOnlyList<(string Id, int Version, string Problem)>> RegisterStoredAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.RunbookVersions.AsNoTracking().Select(r => new { r.RunbookId, r.Version }).ToListAsync(cancellationToken);
        var missing = stored.Where(v => !_compiled.ContainsKey((v.RunbookId, v.Version)) && !_broken.ContainsKey((v.RunbookId, v.Version))).ToList();
        var broken = new List<(string, int, string)>();
        foreach (var v in missing)
        {
            var json = await db.RunbookVersions.AsNoTracking().Where(r => r.RunbookId == v.RunbookId && r.Version == v.Version)
                .Select(r => r.Json).FirstAsync(cancellationToken);
            var parsed = RunbookJson.Parse(json);
            try
            {
                if (parsed.Definition is null) throw new RunbookValidationException(parsed.Errors);
                Register(parsed.Definition);
            }
            catch (RunbookValidationException e)
            {
                var problem = string.Join("; ", e.Errors);
                _broken[(v.RunbookId, v.Version)] = problem;
                broken.Add((v.RunbookId, v.Version, problem));
            }
        }
        return broken;
    }

    public async Task<CompiledRunbook?> GetAsync(string id, int? version, CancellationToken cancellationToken = default)
    {
        if (version is { } v && _compiled.TryGetValue((id, v), out var known)) return known;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.RunbookVersions.AsNoTracking().Where(r => r.RunbookId == id);
        var row = version is { } wanted
            ? await query.FirstOrDefaultAsync(r => r.Version == wanted, cancellationToken)
            : await query.OrderByDescending(r => r.Version).FirstOrDefaultAsync(cancellationToken);
        if (row is null) return null;
        if (_compiled.TryGetValue((row.RunbookId, row.Version), out known)) return known;
        var parsed = RunbookJson.Parse(row.Json);
        return parsed.Definition is null ? null : Register(parsed.Definition);
    }

    /// <summary>The newest published version: what a start without a version runs. Null when the runbook has only drafts or does not exist.</summary>
    public async Task<CompiledRunbook?> GetPublishedAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var version = await db.RunbookVersions.AsNoTracking().Where(r => r.RunbookId == id && r.PublishedAt != null)
            .MaxAsync(r => (int?)r.Version, cancellationToken);
        return version is { } v ? await GetAsync(id, v, cancellationToken) : null;
    }

    public async Task<bool> IsPublishedAsync(string id, int version, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.RunbookVersions.AnyAsync(r => r.RunbookId == id && r.Version == version && r.PublishedAt != null, cancellationToken);
    }

    /// <summary>What publishing <paramref name="version"/> would change against the newest published version.</summary>
    public async Task<RunbookDiff> DiffAsync(string id, int version, CancellationToken cancellationToken = default)
    {
        var draft = await GetAsync(id, version, cancellationToken)
                    ?? throw new NotFoundException("runbook", $"{id} v{version}", "list its versions with GET /api/runbooks/{id}/versions");
        var published = await GetPublishedAsync(id, cancellationToken);
        return RunbookDiff.Between(published?.Definition, draft.Definition);
    }

    /// <summary>
    /// Publishes a draft: from now on plain starts run it. The publisher is a principal other than its author; the
    /// rule is part of the guarded UPDATE, so two publishers or an author racing a reviewer cannot slip past it.
    /// Returns the diff against the version published before.
    /// </summary>
    public async Task<PublishedRunbook> PublishAsync(string id, int version, string publishedBy, CancellationToken cancellationToken = default)
    {
        var diff = await DiffAsync(id, version, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.RunbookVersions.AsNoTracking().FirstAsync(r => r.RunbookId == id && r.Version == version, cancellationToken);
        if (row.PublishedAt is not null)
            throw new ConflictException($"{id} v{version} was already published by {row.PublishedBy} at {row.PublishedAt:u}");
        if (row.CreatedBy is { } author && Principals.Same(author, publishedBy))
            throw new ForbiddenException($"'{publishedBy}' saved {id} v{version} and may not publish it: a second person reviews and publishes a runbook change");
        var principal = Principals.Normalise(publishedBy);
        var now = DateTime.UtcNow;
        var won = await db.RunbookVersions
            .Where(r => r.RunbookId == id && r.Version == version && r.PublishedAt == null && (r.CreatedBy == null || r.CreatedBy.ToLower() != principal))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.PublishedAt, now).SetProperty(r => r.PublishedBy, publishedBy), cancellationToken);
        if (won == 0) throw new ConflictException($"{id} v{version} was published by someone else a moment ago; reload its versions");
        logger.LogInformation("Published runbook {RunbookId} version {Version} by {PublishedBy} ({Changes} changes against v{From})",
            id, version, publishedBy, diff.Changes.Count, diff.From);
        return new PublishedRunbook(id, version, publishedBy, now, diff);
    }

    public async Task<IReadOnlyList<RunbookVersionInfo>> ListVersionsAsync(string? id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.RunbookVersions.AsNoTracking();
        if (id is not null) query = query.Where(r => r.RunbookId == id);
        return (await query.OrderBy(r => r.RunbookId).ThenBy(r => r.Version)
                .Select(r => new { r.RunbookId, r.Version, r.Name, r.CreatedAt, r.CreatedBy, r.PublishedAt, r.PublishedBy }).ToListAsync(cancellationToken))
            .Select(r => new RunbookVersionInfo(r.RunbookId, r.Version, r.Name, r.CreatedAt, r.CreatedBy,
                r.PublishedAt is null ? RunbookVersionInfo.Draft : RunbookVersionInfo.Published, r.PublishedAt, r.PublishedBy)).ToList();
    }

    private CompiledRunbook Register(RunbookDefinition definition) =>
        _compiled.GetOrAdd((definition.Id, definition.Version), _ =>
        {
            var compiled = compiler.Compile(definition);
            if (!registry.IsRegistered(definition.Id, definition.Version))
                registry.RegisterWorkflow(compiled.Workflow);
            return compiled;
        });
}

public sealed record SavedRunbook(RunbookDefinition Definition, bool Created);

public sealed record SeedResult(string File, string? RunbookId, int? Version, bool Created, IReadOnlyList<RunbookError> Errors);

public sealed record RunbookVersionInfo(string Id, int Version, string Name, DateTime CreatedAt, string? CreatedBy,
    string Status, DateTime? PublishedAt, string? PublishedBy)
{
    public const string Draft = "draft";
    public const string Published = "published";
}

public sealed record PublishedRunbook(string Id, int Version, string PublishedBy, DateTime PublishedAt, RunbookDiff Diff);
