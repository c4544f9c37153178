using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace PgHa.Workflows.Store;

/// <summary>
/// One single-row INSERT or UPDATE whose SQL and parameters are built once per model from the EF mapping
/// (table, schema and column names, value converters such as UTC dates and Guid text) and then run through EF's own
/// command pipeline: the context's connection and current transaction, interceptors and logging.
/// </summary>
/// <remarks>
/// Exists for the per-node hot path. Measured on SQLite, SaveChanges spends ~0.3–0.4 ms of its own (tracking,
/// command generation, batching, its transaction) around statements that take 0.02–0.06 ms, and a checkpoint needs
/// three to five of them for every node a run executes. Use SaveChanges everywhere else.
/// </remarks>
public abstract class RowStatement<T> where T : class
{
    // One command per model, shared by every caller: fine for ExecuteNonQuery/ExecuteScalar, which keep no state in
    // the command (EF's ExecuteReader does, so a reading statement would need a command per call).
    private sealed record Built(IRelationalCommand Command, IProperty[] Parameters, string[] ParameterNames);

    private readonly ConcurrentDictionary<IModel, Built> _byModel = new();

    /// <summary>The SQL text; <paramref name="parameter"/> registers a column's value as a parameter and returns its placeholder.</summary>
    private protected abstract string BuildSql(SqlParts sql, Func<IProperty, string> parameter);

    private protected sealed record SqlParts(IEntityType Entity, string Table, Func<IProperty, string> Column, IProperty Key, Func<string, IProperty> Property);

    private protected Task<int> NonQueryAsync(DbContext db, T row, CancellationToken ct)
    {
        var (command, parameters) = Prepare(db, row);
        return command.ExecuteNonQueryAsync(parameters, ct);
    }

    private protected Task<object?> ScalarAsync(DbContext db, T row, CancellationToken ct)
    {
        var (command, parameters) = Prepare(db, row);
        return command.ExecuteScalarAsync(parameters, ct);
    }

    private (IRelationalCommand, RelationalCommandParameterObject) Prepare(DbContext db, T row)
    {
        var built = _byModel.GetOrAdd(db.Model, static (_, state) => state.Self.Build(state.Db), (Self: this, Db: db));
        var values = new Dictionary<string, object?>(built.Parameters.Length);
        for (var i = 0; i < built.Parameters.Length; i++)
            values[built.ParameterNames[i]] = built.Parameters[i].GetGetter().GetClrValue(row);
        return (built.Command, new RelationalCommandParameterObject(
            db.GetService<IRelationalConnection>(), values, null, db,
            db.GetService<IRelationalCommandDiagnosticsLogger>(), CommandSource.SaveChanges));
    }

    private Built Build(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var helper = db.GetService<ISqlGenerationHelper>();
        var key = entity.FindPrimaryKey()?.Properties is [var single] ? single
            : throw new InvalidOperationException($"{typeof(T).Name} needs a single-column primary key for row statements.");
        var builder = db.GetService<IRelationalCommandBuilderFactory>().Create();
        var parameters = new List<IProperty>();
        var names = new List<string>();

        string Parameter(IProperty property)
        {
            var name = "p" + parameters.Count;
            parameters.Add(property);
            names.Add(name);
            builder.AddParameter(name, helper.GenerateParameterName(name), property.GetRelationalTypeMapping(), property.IsNullable);
            return helper.GenerateParameterNamePlaceholder(name);
        }

        var parts = new SqlParts(entity, helper.DelimitIdentifier(table.Name, table.Schema),
            p => helper.DelimitIdentifier(p.GetColumnName(table)!), key,
            name => entity.FindProperty(name) ?? throw new InvalidOperationException($"{typeof(T).Name} has no mapped property '{name}'."));
        builder.Append(BuildSql(parts, Parameter));
        return new Built(builder.Build(), parameters.ToArray(), names.ToArray());
    }
}

/// <summary>INSERT of the given columns; returns the store-generated key.</summary>
public sealed class RowInsert<T>(params string[] columns) : RowStatement<T> where T : class
{
    private protected override string BuildSql(SqlParts sql, Func<IProperty, string> parameter)
    {
        var properties = columns.Select(sql.Property).ToList();
        return $"INSERT INTO {sql.Table} ({string.Join(", ", properties.Select(sql.Column))}) " +
               $"VALUES ({string.Join(", ", properties.Select(parameter))}) RETURNING {sql.Column(sql.Key)}";
    }

    public async Task<long> ExecuteAsync(DbContext db, T row, CancellationToken ct) =>
        Convert.ToInt64(await ScalarAsync(db, row, ct), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// UPDATE of the given columns of the row with the row's key; with a version column, only while the stored version
/// still equals the row's, and the stored version is incremented. Returns the number of rows changed (0 or 1).
/// </summary>
public sealed class RowUpdate<T>(string[] columns, string? versionColumn = null) : RowStatement<T> where T : class
{
    private protected override string BuildSql(SqlParts sql, Func<IProperty, string> parameter)
    {
        var sets = columns.Select(sql.Property).Select(p => $"{sql.Column(p)} = {parameter(p)}").ToList();
        var where = $"{sql.Column(sql.Key)} = {parameter(sql.Key)}";
        if (versionColumn is not null)
        {
            var version = sql.Column(sql.Property(versionColumn));
            sets.Add($"{version} = {version} + 1");
            where += $" AND {version} = {parameter(sql.Property(versionColumn))}";
        }
        return $"UPDATE {sql.Table} SET {string.Join(", ", sets)} WHERE {where}";
    }

    public Task<int> ExecuteAsync(DbContext db, T row, CancellationToken ct) => NonQueryAsync(db, row, ct);
}
