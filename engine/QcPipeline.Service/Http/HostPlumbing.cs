using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace QcPipeline.Service.Http;

/// <summary>The host's own signal handling is off: SIGTERM and Ctrl+C are the server's (see ServiceSignals), so that
/// the first drains and the second abandons, as a run does.</summary>
internal sealed class NoSignalLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>ASP.NET Core's warnings and errors as one line each to the server's log (request headers, and so the
/// token, are never part of them). The host's own lifecycle messages are left out: a failure to start is the
/// server's one line to tell.</summary>
internal sealed class OneLineLoggerProvider(Action<string> log) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, log);
    public void Dispose() { }

    private sealed class Logger(string category, Action<string> log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Warning && !category.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message += $": {exception.GetType().Name}: {exception.Message}";
            log($"{(logLevel >= LogLevel.Error ? "error" : "warning")}: {category}: {message.ReplaceLineEndings(" ")}");
        }
    }
}

/// <summary>An exception no endpoint caught is still a JSON answer (500), and the server goes on.</summary>
internal static class JsonFaults
{
    public static async Task InvokeAsync(HttpContext http, RequestDelegate next, Action<string> log)
    {
        try { await next(http); }
        catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
        {
            log($"error: {http.Request.Method} {http.Request.Path}: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            http.Response.Clear();
            await ApiJson.Error(StatusCodes.Status500InternalServerError, $"internal error: {e.Message.ReplaceLineEndings(" ")}").ExecuteAsync(http);
        }
    }
}
