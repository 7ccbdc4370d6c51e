using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using QcPipeline.Service.Http;

namespace QcPipeline.Service.Runs;

/// <summary>
/// Batch runs over HTTP: `POST /v1/runs` {"job": NAME, "set": ["PATH=VALUE", ...]} starts one (202, its state and
/// links), `GET /v1/runs` lists them, `GET /v1/runs/{id}` tells its state and counts, `GET /v1/runs/{id}/report` serves
/// its report.html once written, `DELETE /v1/runs/{id}` cancels it (its outputs are still written), `GET /v1/jobs`
/// lists the jobs that may be run. (The events stream is in EventStream.)
/// </summary>
internal sealed class RunEndpoints(RunManager runs)
{
    private const long MaxBody = 64 * 1024;

    public void Map(WebApplication app)
    {
        app.MapGet("/v1/jobs", () => Results.Json(new { Jobs = runs.Jobs(), Folder = runs.JobsDirectory }, ApiJson.Options));
        app.MapGet("/v1/runs", () => Results.Json(new { Runs = runs.List().Select(r => r.Snapshot()) }, ApiJson.Options));
        app.MapPost("/v1/runs", (Func<HttpContext, Task<IResult>>)StartAsync);
        app.MapGet("/v1/runs/{id}", (string id) => runs.Find(id) is { } run
            ? Results.Json(run.Snapshot(), ApiJson.Options) : NoRun(id));
        app.MapDelete("/v1/runs/{id}", (string id) =>
        {
            if (runs.Find(id) is not { } run) return NoRun(id);
            if (!runs.Cancel(run)) return ApiJson.Error(StatusCodes.Status409Conflict, $"run {id} has already ended ({run.State})");
            return Results.Json(run.Snapshot(), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
        });
        app.MapGet("/v1/runs/{id}/report", (string id) =>
        {
            if (runs.Find(id) is not { } run) return NoRun(id);
            if (!File.Exists(run.ReportPath))
                return ApiJson.Error(StatusCodes.Status404NotFound, run.IsDone ? $"run {id} wrote no report (outputs.report: false)" : $"run {id} is {run.State}: its report is written when it ends");
            return Results.File(run.ReportPath, "text/html; charset=utf-8");
        });
    }

    private async Task<IResult> StartAsync(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBody;
        string job;
        List<string> overrides = [];
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("job", out var j) || j.ValueKind != JsonValueKind.String)
                return ApiJson.Error(StatusCodes.Status400BadRequest, "the body must be {\"job\": \"NAME\", \"set\": [\"PATH=VALUE\", ...]}");
            job = j.GetString()!;
            if (root.TryGetProperty("set", out var set))
            {
                if (set.ValueKind != JsonValueKind.Array || set.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                    return ApiJson.Error(StatusCodes.Status400BadRequest, "\"set\" must be a list of \"PATH=VALUE\" strings, as --set takes");
                overrides = set.EnumerateArray().Select(e => e.GetString()!).ToList();
            }
        }
        catch (JsonException e) { return ApiJson.Error(StatusCodes.Status400BadRequest, $"the body is not JSON: {e.Message}"); }
        catch (BadHttpRequestException e) { return ApiJson.Error(e.StatusCode, $"bad request: {e.Message}"); }
        try
        {
            var run = runs.Start(job, overrides);
            http.Response.Headers.Location = $"/v1/runs/{run.Id}";
            return Results.Json(run.Snapshot(), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
        }
        catch (RunRefusedException e) when (e.Status == StatusCodes.Status503ServiceUnavailable) { return ApiJson.Busy(http, e.Message, 10); }
        catch (RunRefusedException e) { return ApiJson.Error(e.Status, e.Message, e.Problems.Count > 0 ? e.Problems : null); }
        catch (Core.Outputs.OutputFolderException e) { return ApiJson.Error(StatusCodes.Status500InternalServerError, e.Message); }
    }

    private static IResult NoRun(string id) => ApiJson.Error(StatusCodes.Status404NotFound, $"no run '{(id.Length > 80 ? id[..80] : id)}'");
}
