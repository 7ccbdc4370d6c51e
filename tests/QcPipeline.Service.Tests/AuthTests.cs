using System.Net;
using System.Net.Http.Headers;
using Xunit;

namespace QcPipeline.Service.Tests;

/// <summary>With a token, every call but the page's files and /healthz needs it; beyond loopback one is required.</summary>
public sealed class AuthTests
{
    private const string Token = "s3cret-token-for-the-line-0123";

    [Fact]
    public async Task Calls_without_the_right_token_are_refused()
    {
        await using var server = await TestServer.StartAsync(token: Token);
        async Task<HttpStatusCode> Send(HttpMethod method, string path, string? token, HttpContent? content = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var response = await server.Client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
                var body = await response.Content.ReadAsStringAsync();
                Assert.DoesNotContain(Token, body);
            }
            return response.StatusCode;
        }

        var png = () => TestServer.Png(TestServer.Sample("pass-exact.png"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Post, "/v1/inspect", null, png()));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Post, "/v1/inspect", "wrong-token-of-the-same-size-00", png()));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Post, "/v1/inspect", Token + "x", png()));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Get, "/v1/runs", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Get, "/v1/events", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Get, "/metrics", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(HttpMethod.Post, "/api/session/1/inspect", null, new StringContent("{}")));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Post, "/v1/inspect", Token, png()));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, "/metrics", Token));
        // Open to all: the page (which then asks for the token) and the health check.
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, "/", null));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, "/page/page.js", null));
        Assert.Equal(HttpStatusCode.OK, await Send(HttpMethod.Get, "/healthz", null));
        lock (server.Log) Assert.DoesNotContain(server.Log, l => l.Contains(Token));
    }

    [Fact]
    public void Listening_beyond_loopback_needs_a_token()
    {
        var open = new ServiceSettings { JobFile = "job.yaml", Bind = "0.0.0.0" };
        Assert.Contains(open.Problems(), p => p.Contains("QC_API_TOKEN"));
        Assert.Empty(new ServiceSettings { JobFile = "job.yaml", Bind = "0.0.0.0", Token = Token }.Problems());
        Assert.Empty(new ServiceSettings { JobFile = "job.yaml" }.Problems());                         // 127.0.0.1
        Assert.Empty(new ServiceSettings { JobFile = "job.yaml", Bind = "::1" }.Problems());
        Assert.Contains(new ServiceSettings { JobFile = "job.yaml", Bind = "example.org" }.Problems(), p => p.Contains("not an IP address"));
        Assert.Contains(new ServiceSettings { JobFile = "job.yaml", Token = "short" }.Problems(), p => p.Contains("too short"));
    }
}
