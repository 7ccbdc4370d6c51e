using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace QcPipeline.Service.Tests;

/// <summary>The old server's call, `POST /api/session/{id}/inspect` with {"image_filename": ...}: answered as a batch run
/// would answer the file, and never reading anything outside the images folder, however the name is written.</summary>
public sealed class OldCallTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> Call(TestServer server, string json, string session = "line-3")
    {
        var response = await server.Client.PostAsync($"/api/session/{session}/inspect", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await TestServer.JsonAsync(response));
    }

    private static string Named(string name) => JsonSerializer.Serialize(new { image_filename = name });

    [Fact]
    public async Task The_old_call_answers_with_the_batch_runs_line_for_the_same_file()
    {
        var dir = TestServer.TempDir();
        var batch = await InspectTests.BatchAsync(dir);
        await using var server = await TestServer.StartAsync(dir: dir, images: TestServer.Samples);
        foreach (var (name, expected) in batch)
        {
            var (status, body) = await Call(server, Named(name));
            Assert.Equal(expected.GetProperty("verdict").GetString() == "error" ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.OK, status);
            // The very same line but for the time taken (and the reason beside it when it could not be inspected).
            Assert.Equal(Without(expected, "ms"), Without(body, "ms", "error"));
        }
    }

    [Fact]
    public async Task Names_that_would_leave_the_images_folder_are_refused()
    {
        var dir = TestServer.TempDir();
        var images = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(dir, "outside")).FullName;
        File.Copy(Path.Combine(TestServer.Samples, "pass-exact.png"), Path.Combine(images, "board.png"));
        File.Copy(Path.Combine(TestServer.Samples, "pass-exact.png"), Path.Combine(outside, "secret.png"));
        Directory.CreateDirectory(Path.Combine(images, "line1"));
        File.Copy(Path.Combine(TestServer.Samples, "fail-scratch.png"), Path.Combine(images, "line1", "board.png"));
        File.CreateSymbolicLink(Path.Combine(images, "link.png"), Path.Combine(outside, "secret.png"));
        Directory.CreateSymbolicLink(Path.Combine(images, "linkdir"), outside);
        File.CreateSymbolicLink(Path.Combine(images, "inside-link.png"), Path.Combine(images, "board.png"));
        await using var server = await TestServer.StartAsync(dir: dir, images: images);

        var (status, body) = await Call(server, Named("board.png"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("pass", body.GetProperty("verdict").GetString());
        (status, body) = await Call(server, Named("line1/board.png"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("fail", body.GetProperty("verdict").GetString());

        string[] escapes =
        [
            "../outside/secret.png", "line1/../../outside/secret.png", Path.Combine(outside, "secret.png"), "/etc/passwd",
            "link.png", "linkdir/secret.png", "inside-link.png", "./board.png", "line1//board.png", "..", "line1\\..\\..\\outside\\secret.png",
            "board.png\0.txt", "~/secret.png", "line1",
        ];
        foreach (var name in escapes)
        {
            (status, body) = await Call(server, Named(name));
            Assert.True(status == HttpStatusCode.BadRequest, $"{name}: {status} {body}");
            Assert.DoesNotContain("verdict", body.ToString());
        }
        (status, body) = await Call(server, Named("missing.png"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("missing.png", body.GetProperty("error").GetString());

        // Bodies that are not the call at all.
        Assert.Equal(HttpStatusCode.BadRequest, (await Call(server, "{ not json")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Call(server, "{\"image\": \"board.png\"}")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Call(server, "{\"image_filename\": 7}")).Status);
        // Nothing outside was ever inspected: every answered line names a file inside the images folder.
        await server.Host.StopAsync();
        foreach (var line in File.ReadAllLines(Path.Combine(server.Out, "inspect", "demo-board", "results.jsonl")))
            Assert.StartsWith(images, JsonDocument.Parse(line).RootElement.GetProperty("image").GetString());
    }

    [Fact]
    public async Task Without_an_images_folder_the_old_call_says_how_to_give_one()
    {
        await using var server = await TestServer.StartAsync();
        var (status, body) = await Call(server, Named("board.png"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("--images", body.GetProperty("error").GetString());
    }

    private static string Without(JsonElement line, params string[] keys) =>
        JsonSerializer.Serialize(line.EnumerateObject().Where(p => !keys.Contains(p.Name)).ToDictionary(p => p.Name, p => p.Value));
}
