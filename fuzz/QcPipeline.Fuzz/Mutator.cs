namespace QcPipeline.Fuzz;

/// <summary>
/// Seeded mutations of corpus inputs, for the short deterministic run in the test suite (no AFL there): bit
/// flips, byte changes, insertions of YAML punctuation and of other inputs' pieces, deletions, duplications.
/// The same seed gives the same inputs on every machine.
/// </summary>
public sealed class Mutator(int seed)
{
    private static readonly byte[][] Tokens =
        [.. new[] { "[", "]", "{", "}", ":", ": ", "- ", "&a ", "*a", "!!str ", "'", "\"", "\n", "\t", "  ", "#", ",", "${X}", "%", "|", ">",
            "\xff", "0", "-1", "1e309", "99999999999999999999h", "~", "null", "<<: *a", "---\n", "..." }.Select(t => System.Text.Encoding.Latin1.GetBytes(t))];

    private readonly Random _random = new(seed);

    /// <summary>A mutation of <paramref name="input"/>, sometimes spliced with <paramref name="other"/>.</summary>
    public byte[] Mutate(byte[] input, byte[] other)
    {
        var data = new List<byte>(input);
        var rounds = 1 + _random.Next(4);
        for (var r = 0; r < rounds; r++)
        {
            var at = data.Count == 0 ? 0 : _random.Next(data.Count);
            switch (_random.Next(7))
            {
                case 0 when data.Count > 0: data[at] ^= (byte)(1 << _random.Next(8)); break;
                case 1 when data.Count > 0: data[at] = (byte)_random.Next(256); break;
                case 2: data.InsertRange(at, Tokens[_random.Next(Tokens.Length)]); break;
                case 3 when data.Count > 0: data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(16))); break;
                case 4 when other.Length > 0:
                    var start = _random.Next(other.Length);
                    data.InsertRange(at, other.AsSpan(start, Math.Min(other.Length - start, 1 + _random.Next(64))).ToArray());
                    break;
                case 5 when data.Count > 0:
                    var len = Math.Min(data.Count - at, 1 + _random.Next(32));
                    data.InsertRange(at, data.GetRange(at, len));
                    break;
                default: data.Insert(at, (byte)"[{:-&*'\"\n"[_random.Next(9)]); break;
            }
        }
        return [.. data];
    }
}
