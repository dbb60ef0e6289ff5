namespace RespProxy.TestSupport;

/// <summary>Turns INFO output ("# Section" headers and "key:value" lines) into a dictionary.</summary>
public static class RedisInfo
{
    public static Dictionary<string, string> Parse(string infoText)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in infoText.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // Split at the first colon only: values such as "slave0:ip=127.0.0.1,port=1,..." keep theirs.
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..];
            }
        }

        return fields;
    }
}
