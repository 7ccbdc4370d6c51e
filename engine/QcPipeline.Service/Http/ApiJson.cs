using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace QcPipeline.Service.Http;

/// <summary>JSON as the API writes it (snake_case keys), and its error answers: {"error": "..."} with a status.</summary>
public static class ApiJson
{
    /// <summary>The API's serializer options.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>An object as the API's JSON.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>An error answer.</summary>
    public static IResult Error(int status, string message, object? problems = null) =>
        Results.Json(new ErrorBody(message, problems), Options, statusCode: status);

    /// <summary>"Come back later": 503 with Retry-After, as when every place is taken.</summary>
    public static IResult Busy(HttpContext http, string message, int retryAfterSeconds = 1)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Error(StatusCodes.Status503ServiceUnavailable, message);
    }

    /// <summary>JSON text written as it is (a results line).</summary>
    public static IResult Raw(string json, int status = StatusCodes.Status200OK) =>
        Results.Text(json, "application/json; charset=utf-8", statusCode: status);

    private sealed record ErrorBody(string Error, object? Problems);
}
