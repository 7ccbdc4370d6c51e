using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using QcPipeline.Core.Jobs;

namespace QcPipeline.Cluster;

/// <summary>
/// The last line of defence: every message this process sends is checked for the secrets its job resolved here
/// (as they are, and as JSON would escape them). A message holding one is refused, so a secret never leaves
/// the machine, however it got into an item or the job (a ${VAR} expanded into a description, say). Secrets
/// travel by reference only (env:NAME, file:PATH) and each machine resolves its own.
/// </summary>
public sealed class SecretGuard
{
    /// <summary>Shorter secrets are not looked for (a one-letter "secret" is in every message).</summary>
    public const int ShortestChecked = 4;

    private readonly byte[][] _needles;

    /// <summary>Looks for every secret <paramref name="job"/> resolved on this machine, raw and JSON-escaped.</summary>
    public SecretGuard(JobDefinition job)
    {
        _needles = OptionWalk.Secrets(job).Select(s => s.Reveal()).Where(v => v.Length >= ShortestChecked).Distinct()
            .SelectMany(v => new[] { Encoding.UTF8.GetBytes(v), Encoding.UTF8.GetBytes(JsonEncodedText.Encode(v, JavaScriptEncoder.Default).Value) })
            .ToArray();
    }

    /// <summary>Throws <see cref="SecretInMessageException"/> when <paramref name="payload"/> holds a secret.</summary>
    public void Check(ReadOnlySpan<byte> payload, string what)
    {
        foreach (var needle in _needles)
            if (payload.IndexOf(needle) >= 0)
                throw new SecretInMessageException($"{what} would carry one of the job's secrets to another machine; it is not sent");
    }
}

/// <summary>A message that would carry a secret (never sent).</summary>
public sealed class SecretInMessageException(string message) : Exception(message);
