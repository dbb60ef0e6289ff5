namespace RespProxy.TestSupport;

/// <summary>Reads the end of a log that a running process may still be writing.</summary>
internal static class LogFile
{
    public static string Tail(string path, int lines)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lines);
        if (!File.Exists(path))
        {
            return $"(log file {path} does not exist yet)";
        }

        // Share flags let us read while redis keeps the file open for appending.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var tail = new Queue<string>(lines);
        while (reader.ReadLine() is { } line)
        {
            if (tail.Count == lines)
            {
                tail.Dequeue();
            }

            tail.Enqueue(line);
        }

        return string.Join(Environment.NewLine, tail);
    }
}
