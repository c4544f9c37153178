using PgHa.Secrets;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Validation;

namespace PgHa.Server.Api;

/// <summary>A request body or parameter that is wrong, one message per field.</summary>
public sealed class RequestFieldException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>Turns the engine's refusals into RFC 7807 problem details; anything unexpected becomes a 500 that reveals nothing.</summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = ApiProblems.For(exception);
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = 500, Title = "Internal server error",
                Detail = "the server failed to handle the request; the server log has the details",
            };
        }
        context.Response.StatusCode = problem.Status ?? 500;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }
}

public static class ApiProblems
{
    /// <summary>The field key of a runbook error: <c>nodes.{node}.{field}</c> for a node, else the field itself.</summary>
    public static string Key(RunbookError e) => e.NodeId is null ? e.Field : $"nodes.{e.NodeId}.{e.Field}";

    public static ValidationProblem Validation(IEnumerable<(string Field, string Message)> errors, string title) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: title);

    public static ValidationProblem Validation(IEnumerable<RunbookError> errors, string title) =>
        Validation(errors.Select(e => (Key(e), e.Message)), title);

    internal static Microsoft.AspNetCore.Mvc.ProblemDetails? For(Exception exception)
    {
        switch (exception)
        {
            case RunbookValidationException e:
                return ToProblem(Validation(e.Errors, "The runbook is invalid"));
            case RunInputException e:
                return ToProblem(Validation(e.Errors, "The run inputs are invalid"));
            case DryRunRefusedException e:
                return ToProblem(Validation(e.Errors, "This runbook cannot be dry-run"));
            case ClusterFitException e:
                return ToProblem(Validation(e.Errors, "The runbook does not fit the cluster"));
            case PgHa.Clusters.ClusterValidationException e:
                return ToProblem(Validation(e.Errors.Select(x => (x.Field, x.Message)), "The cluster inventory is invalid"));
            case RequestFieldException e:
                return ToProblem(Validation([(e.Field, e.Message)], "The request is invalid"));
            case NotFoundException e:
                var notFound = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = 404, Title = "Not found", Detail = e.Message };
                if (FieldOf(e.What) is { } field)
                    notFound.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [e.Message] };
                return notFound;
            case ConflictException e:
                return new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = 409, Title = "Conflict", Detail = e.Message };
            case ForbiddenException e:
                return new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = 403, Title = "Forbidden", Detail = e.Message };
            case BadHttpRequestException { StatusCode: 413 } or BadHttpRequestException { InnerException: BadHttpRequestException { StatusCode: 413 } }:
                return TooLarge();
            case BadHttpRequestException { InnerException: JsonException json }:
                return MalformedJson(json);
            case JsonException json:
                return MalformedJson(json);
            case BadHttpRequestException e when e.Message.Contains("no body was provided", StringComparison.Ordinal):
                return ToProblem(Validation([("$", "the request body is empty; send a JSON object")], "The request is invalid"));
            case BadHttpRequestException e:
                // Its messages name the parameter and the problem (missing body, wrong content type), never data; type names are cut.
                return new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = e.StatusCode, Title = "Bad request", Detail = TextSafety.WithoutTypeNames(e.Message) };
            default:
                return null;
        }
    }

    public static Microsoft.AspNetCore.Mvc.ProblemDetails MalformedJson(JsonException json)
    {
        var where = json.LineNumber is { } line ? $"line {line + 1}, column {json.BytePositionInLine + 1}" : "an unknown position";
        var path = json.Path is { Length: > 0 } p ? $" (at {p})" : "";
        var message = Describe(json);
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
            { Status = 400, Title = "Malformed JSON", Detail = $"the request body is not valid JSON at {where}{path}: {message}" };
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [json.Path is { Length: > 0 } f ? f : "$"] = [$"malformed JSON at {where}"] };
        return problem;
    }

    // Only the first sentence of the message (the rest repeats the position; nothing of the body is echoed), in the
    // caller's terms: unknown and duplicate fields by path, wrong types without the server's type names.
    private static string Describe(JsonException json)
    {
        var message = json.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
            return "unknown field; remove it or check its spelling";
        if (message.Contains("uplicate", StringComparison.Ordinal))
            return "the same property appears twice; keep one";
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        return TextSafety.WithoutTypeNames(message);
    }

    private static Microsoft.AspNetCore.Mvc.ProblemDetails TooLarge()
    {
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
            { Status = 413, Title = "Request body too large", Detail = "the request body is larger than the server accepts (PgHa:Limits:MaxRequestBodyBytes)" };
        problem.Extensions["errors"] = new Dictionary<string, string[]> { ["$"] = ["the request body is too large"] };
        return problem;
    }

    private static string? FieldOf(string what) => what switch
    {
        "runbook" => "runbook",
        "cluster" => "cluster",
        "approval for node" => "node",
        _ => null,
    };

    private static Microsoft.AspNetCore.Mvc.ProblemDetails ToProblem(ValidationProblem result) => result.ProblemDetails;
}
