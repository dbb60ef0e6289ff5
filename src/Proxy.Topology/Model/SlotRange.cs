using System.Globalization;

namespace RespProxy.Topology.Model;

/// <summary>An inclusive range of Redis Cluster hash slots (0..16383).</summary>
public readonly record struct SlotRange(int Start, int End)
{
    public const int SlotCount = 16384;

    public override string ToString() => Start == End ? Start.ToString(CultureInfo.InvariantCulture) : $"{Start}-{End}";

    /// <summary>Parses "0-16383", "5", or a comma-separated list of those.</summary>
    public static IReadOnlyList<SlotRange> ParseList(string text)
    {
        var ranges = new List<SlotRange>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2
                || !int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int start)
                || !int.TryParse(bounds[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int end)
                || start > end || end >= SlotCount)
            {
                throw new FormatException($"'{part}' is not a slot range within 0-16383.");
            }

            ranges.Add(new SlotRange(start, end));
        }

        return ranges;
    }
}
