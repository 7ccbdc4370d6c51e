using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using QcPipeline.Core.Runtime;
using QcPipeline.Vision;
using Xunit;

namespace QcPipeline.Service.Tests;

/// <summary>POST /v1/inspect end to end on the demo product: the verdicts a batch run gives, and the answers to bodies
/// that are not inspectable images; the server stays up through all of them.</summary>
public sealed class InspectTests
{
    /// <summary>The shipped inspection job run as a batch over the demo samples: results.jsonl by file name.</summary>
    internal static async Task<Dictionary<string, JsonElement>> BatchAsync(string dir)
    {
        var graph = TestRun.CompileFile(TestServer.Registry(), TestServer.InspectionJob);
        var output = Path.Combine(dir, "batch");
        var result = await new PipelineRunner(graph, output).RunGuardedAsync();
        Assert.True(result.CountsAddUp);
        return File.ReadAllLines(Path.Combine(output, "results.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .ToDictionary(e => Path.GetFileName(e.GetProperty("image").GetString()!));
    }

    /// <summary>What an inspection decides, without where the image came from or how long it took.</summary>
    internal static string Decision(JsonElement line)
    {
        var rois = line.GetProperty("rois").EnumerateArray().Select(r => new
        {
            name = r.GetProperty("name").GetString(), status = r.GetProperty("status").GetString(),
            score = r.GetProperty("score").ToString(), defects = r.GetProperty("defects").ToString(),
        });
        return JsonSerializer.Serialize(new
        {
            verdict = line.GetProperty("verdict").GetString(), width = line.GetProperty("width").GetInt32(),
            height = line.GetProperty("height").GetInt32(), defects = line.GetProperty("defects").ToString(), rois,
        });
    }

    [Fact]
    public async Task Verdicts_over_http_equal_a_batch_run_of_the_same_images()
    {
        var dir = TestServer.TempDir();
        var batch = await BatchAsync(dir);
        await using var server = await TestServer.StartAsync(dir: dir);
        Assert.Equal(6, batch.Count);
        foreach (var (name, expected) in batch)
        {
            var (status, body, _) = await server.PostImageAsync(name);
            var verdict = expected.GetProperty("verdict").GetString();
            Assert.Equal(verdict == "error" ? 422 : 200, status);
            Assert.Equal(name, body.GetProperty("image").GetString());
            Assert.Equal(Decision(expected), Decision(body));
            if (verdict == "error") Assert.Contains("not a decodable image", body.GetProperty("error").GetString());
        }
        // The same accounting as a batch: every request an item of the warm pipeline, the error one failed.
        await server.Host.StopAsync();
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(server.Out, "inspect", "demo-board", "run.json"))).RootElement;
        Assert.Equal(6, run.GetProperty("items").GetProperty("produced").GetInt32());
        Assert.Equal(1, run.GetProperty("items").GetProperty("failed").GetInt32());
        Assert.True(run.GetProperty("items").GetProperty("counts_add_up").GetBoolean());
        Assert.Equal(6, File.ReadAllLines(Path.Combine(server.Out, "inspect", "demo-board", "results.jsonl")).Length);
    }

    [Fact]
    public async Task A_multipart_form_and_a_jpeg_body_are_inspected_too()
    {
        await using var server = await TestServer.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(TestServer.Sample("fail-scratch.png")), "image", "line3-board17.png" },
            { new StringContent("demo-board"), "product" },
        };
        var response = await server.Client.PostAsync("/v1/inspect", form);
        var body = await TestServer.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("line3-board17.png", body.GetProperty("image").GetString());
        Assert.Equal("fail", body.GetProperty("verdict").GetString());

        using var image = Image.Load(Path.Combine(TestServer.Samples, "pass-exact.png"), ImageReadMode.Color);
        var jpeg = new ByteArrayContent(image.EncodeJpeg(95));
        jpeg.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        response = await server.Client.PostAsync("/v1/inspect", jpeg);
        body = await TestServer.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("upload.jpg", body.GetProperty("image").GetString());
        Assert.Equal(4, body.GetProperty("rois").GetArrayLength());
    }

    [Fact]
    public async Task Bad_bodies_are_json_errors_and_the_server_stays_up()
    {
        var dir = TestServer.TempDir();
        await using var server = await TestServer.StartAsync(dir: dir, maxBody: 256 * 1024);
        async Task<(HttpStatusCode, string)> Post(HttpContent content, string path = "/v1/inspect")
        {
            var r = await server.Client.PostAsync(path, content);
            var b = await TestServer.JsonAsync(r);
            var message = b.TryGetProperty("error", out var e) ? e.GetString()! : "";
            return (r.StatusCode, message);
        }

        var text = new StringContent("hello");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Post(text)).Item1);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(TestServer.Png([]))).Item1);

        // Too large: refused by the limit, before anything is decoded.
        var (status, message) = await Post(TestServer.Png(new byte[300 * 1024]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("limit", message);

        // Not an image, a truncated one, one of another size than the golden, one over the pixel limit: 422, with why.
        (status, message) = await Post(TestServer.Png("not a png at all"u8.ToArray()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("not a decodable image", message);
        using (var small = Image.Create(100, 80, 3, 0))
        {
            (status, message) = await Post(TestServer.Png(small.EncodePng()));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Contains("100x80", message);
        }
        var bomb = PngHeader(30000, 30000);
        (status, message) = await Post(TestServer.Png(bomb));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("pixel", message, StringComparison.OrdinalIgnoreCase);

        // A multipart form without a file, and an unknown product.
        using var noFile = new MultipartFormDataContent { { new StringContent("demo-board"), "product" } };
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(noFile)).Item1);
        (status, message) = await Post(TestServer.Png(TestServer.Sample("pass-exact.png")), "/v1/inspect?product=nonesuch");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("demo-board", message);

        // Still up, still inspecting.
        var (ok, body, _) = await server.PostImageAsync("pass-exact.png");
        Assert.Equal(200, ok);
        Assert.Equal("pass", body.GetProperty("verdict").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_product_is_chosen_per_request_from_the_products_folder()
    {
        var dir = TestServer.TempDir();
        var products = Directory.CreateDirectory(Path.Combine(dir, "products")).FullName;
        // A second product: the demo board with only its LED checked, so a board without a connector passes.
        File.WriteAllText(Path.Combine(products, "led-only.yaml"), $$$"""
            product: led-only
            golden: {{{Path.Combine(Path.GetDirectoryName(TestServer.DemoProduct)!, "demo-board", "golden.png")}}}
            rois:
              - {name: led, x: 32, y: 122, w: 26, h: 26, check: intensity, intensity: {mean_min: 150}}
            """);
        await using var server = await TestServer.StartAsync(dir: dir, products: products);
        var (status, body, _) = await server.PostImageAsync("fail-no-connector.png");
        Assert.Equal(200, status);
        Assert.Equal("fail", body.GetProperty("verdict").GetString());
        (status, body, _) = await server.PostImageAsync("fail-no-connector.png", "product=led-only");
        Assert.Equal(200, status);
        Assert.Equal("pass", body.GetProperty("verdict").GetString());
        Assert.Equal(1, body.GetProperty("rois").GetArrayLength());
        var listed = await TestServer.JsonAsync(await server.Client.GetAsync("/v1/products"));
        Assert.Equal(["demo-board", "led-only"], listed.GetProperty("products").EnumerateArray().Select(p => p.GetString()!).ToArray());
    }

    // A PNG that is only a header saying WIDTHxHEIGHT: the size is read before decoding, so it is refused as it is.
    private static byte[] PngHeader(int width, int height)
    {
        var png = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' };
        png.AddRange(BitConverter.GetBytes(width).Reverse());
        png.AddRange(BitConverter.GetBytes(height).Reverse());
        png.AddRange([8, 2, 0, 0, 0, 0, 0, 0, 0]); // 8-bit RGB; CRC not checked by the header reader
        return [.. png];
    }
}
