using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace QcPipeline.Service.Http;

/// <summary>
/// With a token set (QC_API_TOKEN), every call but the page's own files and /healthz needs
/// `Authorization: Bearer TOKEN`; the comparison takes the same time whatever the guess. The token is never
/// written anywhere: not to the log, not to an answer.
/// </summary>
public sealed class BearerToken(string token)
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(token);

    /// <summary>Paths anyone may read: the page (it holds no data; it asks for the token) and the health check.</summary>
    public static bool IsOpen(PathString path) =>
        path == "/" || path == "/healthz" || path.StartsWithSegments("/page", StringComparison.Ordinal);

    /// <summary>True when the request carries the token.</summary>
    public bool Allows(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _token);
    }

    /// <summary>The middleware: 401 with a JSON error for a request without the token.</summary>
    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (IsOpen(http.Request.Path) || Allows(http.Request)) { await next(http); return; }
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"qcpipeline\"";
        await ApiJson.Error(StatusCodes.Status401Unauthorized,
            "this server needs `Authorization: Bearer TOKEN` (the token it was started with, QC_API_TOKEN)").ExecuteAsync(http);
    }
}
