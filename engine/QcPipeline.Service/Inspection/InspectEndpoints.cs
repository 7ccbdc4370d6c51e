using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Service.Http;

namespace QcPipeline.Service.Inspection;

/// <summary>
/// `POST /v1/inspect` (an uploaded image) and `POST /api/session/{id}/inspect` (the old server's call: an image named
/// in the images folder): a request is an item of the warm pipeline, answered with its results line when it ends.
/// 200: inspected (verdict pass or fail); 422: not inspectable (undecodable, wrong size, over the pixel limit: the
/// line says why); 400/404/413/415: a bad request; 503 with Retry-After: every place is taken, or the server stops.
/// </summary>
internal sealed class InspectEndpoints(InspectionService inspection, Admission admission, ImagesFolder? images, long maxBody)
{
    /// <summary>The old call's JSON body is small.</summary>
    private const long MaxNamedBody = 64 * 1024;

    public void Map(WebApplication app)
    {
        app.MapPost("/v1/inspect", (Func<HttpContext, Task<IResult>>)(http => InspectAsync(http, "/v1/inspect", null, async span =>
        {
            var upload = await ImageBody.ReadAsync(http.Request, maxBody, http.RequestAborted).ConfigureAwait(false);
            var image = new FileContent("http", upload.Name, "upload", upload.Name, upload.Bytes.Length, DateTimeOffset.UtcNow, upload.Bytes, true);
            return (image, upload.Product);
        })));
        app.MapPost("/api/session/{id}/inspect", (HttpContext http, string id) => InspectAsync(http, "/api/session/{id}/inspect", id, async span =>
        {
            if (images is null) throw new ImageBodyException(StatusCodes.Status404NotFound, "this server has no images folder (start it with --images DIR)");
            var (name, product) = await ReadNamedAsync(http).ConfigureAwait(false);
            span?.SetTag("qc.image_filename", name);
            var (path, bytes) = await images.ReadAsync(name, maxBody, http.RequestAborted).ConfigureAwait(false);
            var folder = Path.GetDirectoryName(Path.GetRelativePath(images.Root, path))?.Replace('\\', '/') is { Length: > 0 } f ? f : ".";
            var image = new FileContent("local", path, folder, Path.GetFileName(path), bytes.Length, File.GetLastWriteTimeUtc(path), bytes, true) { LocalPath = path };
            return (image, product ?? http.Request.Query["product"].FirstOrDefault());
        }));
        app.MapGet("/v1/products", () => Results.Json(new { Default = inspection.DefaultProduct, Products = inspection.Products, inspection.Disabled }, ApiJson.Options));
    }

    private async Task<IResult> InspectAsync(HttpContext http, string route, string? session, Func<Activity?, Task<(FileContent Image, string? Product)>> read)
    {
        if (inspection.Disabled is { } why) return ApiJson.Error(StatusCodes.Status404NotFound, $"this server inspects nothing: {why}");
        if (!admission.TryEnter())
            return ApiJson.Busy(http, $"busy: {admission.Capacity} inspections are in progress (--max-pending); try again shortly");
        var span = ServiceTelemetry.StartRequest(http, route);
        if (session is not null) span?.SetTag("qc.session", session);
        var status = StatusCodes.Status500InternalServerError;
        string? error = null;
        try
        {
            FileContent image;
            string? product;
            try { (image, product) = await read(span).ConfigureAwait(false); }
            catch (ImageBodyException e) { (status, error) = (e.Status, e.Message); return ApiJson.Error(status, error); }
            catch (ImageNameException e) { (status, error) = (StatusCodes.Status400BadRequest, e.Message); return ApiJson.Error(status, error); }
            catch (FileNotFoundException e) { (status, error) = (StatusCodes.Status404NotFound, e.Message); return ApiJson.Error(status, error); }
            catch (BadHttpRequestException e) { (status, error) = (e.StatusCode, BodyProblem(e)); return ApiJson.Error(status, error); }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested) { (status, error) = (499, "the client went away"); return Results.Empty; }

            var pipeline = inspection.Find(product);
            if (pipeline is null)
            {
                (status, error) = (StatusCodes.Status404NotFound, $"no product '{product}': this server inspects {string.Join(", ", inspection.Products)}");
                return ApiJson.Error(status, error);
            }
            span?.SetTag("qc.product", pipeline.Product);
            span?.SetTag("qc.item", image.Key);
            var pending = inspection.TrySubmit(pipeline, image, span?.Context ?? default);
            if (pending is null) { (status, error) = (503, "busy"); return ApiJson.Busy(http, "busy: the pipeline's queue is full; try again shortly"); }
            var outcome = await pending.ConfigureAwait(false); // never faults; the item is counted however the client fares
            (status, var body, error) = Answer(outcome);
            inspection.Verdicts.Add(pipeline.Product, image.Name, outcome.Records.FirstOrDefault()?.Json, status);
            if (status == StatusCodes.Status503ServiceUnavailable) http.Response.Headers.RetryAfter = "1";
            return ApiJson.Raw(body, status);
        }
        finally
        {
            ServiceTelemetry.Finish(span, status, error);
            admission.Exit();
        }
    }

    /// <summary>An item's end as an answer: its results line, with the reason beside it when it could not be inspected.</summary>
    internal static (int Status, string Body, string? Error) Answer(FedOutcome outcome)
    {
        var record = outcome.Records.FirstOrDefault()?.Json;
        switch (outcome.State)
        {
            case ItemState.Processed:
                return (StatusCodes.Status200OK, record ?? "{}", null);
            case ItemState.Cancelled:
                var why = "the server is stopping: the image was not inspected" + (outcome.SkipReason is { } s ? $" ({s})" : "");
                return (StatusCodes.Status503ServiceUnavailable, ApiJson.Serialize(new { Error = why }), why);
            default:
                var reason = outcome.Failure is { } f ? $"{f.Stage}: {f.Reason}" : $"skipped: {outcome.SkipReason}";
                var status = outcome.Failure?.Stage == "engine" ? StatusCodes.Status500InternalServerError : StatusCodes.Status422UnprocessableEntity;
                var body = (record is null ? null : JsonNode.Parse(record) as JsonObject) ?? new JsonObject();
                body["error"] = reason;
                return (status, body.ToJsonString(), reason);
        }
    }

    private static async Task<(string Name, string? Product)> ReadNamedAsync(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxNamedBody;
        JsonDocument doc;
        try { doc = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted).ConfigureAwait(false); }
        catch (JsonException e) { throw new ImageBodyException(StatusCodes.Status400BadRequest, $"the body is not JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("image_filename", out var name) || name.ValueKind != JsonValueKind.String)
                throw new ImageBodyException(StatusCodes.Status400BadRequest, "the body must be {\"image_filename\": \"NAME\"}");
            var product = doc.RootElement.TryGetProperty("product", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            return (name.GetString()!, product);
        }
    }

    private static string BodyProblem(BadHttpRequestException e) =>
        e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "the request body is larger than the server's limit (--max-body)" : $"bad request: {e.Message}";
}
