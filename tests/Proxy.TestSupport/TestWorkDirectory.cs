namespace RespProxy.TestSupport;

/// <summary>Fresh per-process temp directories (conf, log, any dump files) under one recognisable root.</summary>
internal static class TestWorkDirectory
{
    /// <summary>Set to 1 to keep work dirs (logs, rewritten sentinel confs) for debugging a failing test.</summary>
    public const string KeepVariable = "RESPPROXY_TEST_KEEP_WORKDIRS";

    public static string Create(string kind, string host, int port)
    {
        var uniqueSuffix = Guid.NewGuid().ToString("N")[..8];
        var path = Path.Combine(Path.GetTempPath(), "respproxy-tests", $"{kind}-{host}-{port}-{uniqueSuffix}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        if (Environment.GetEnvironmentVariable(KeepVariable) == "1")
        {
            return;
        }

        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Leftover files in the temp dir are harmless; failing a test's cleanup over them is not worth it.
        }
    }
}
