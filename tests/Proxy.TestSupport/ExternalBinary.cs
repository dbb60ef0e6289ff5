using System.Collections.Concurrent;

namespace RespProxy.TestSupport;

/// <summary>
/// Finds the redis executables on PATH. A missing binary is a broken test environment, so this throws
/// (naming the Debian package to install) rather than letting tests silently skip.
/// </summary>
internal static class ExternalBinary
{
    public const string RedisServer = "redis-server";
    public const string RedisSentinel = "redis-sentinel";
    public const string RedisCli = "redis-cli";

    private static readonly ConcurrentDictionary<string, string> Resolved = new();

    public static string Resolve(string name) => Resolved.GetOrAdd(name, FindOnPath);

    private static string FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"'{name}' was not found on PATH ({path}). Integration tests need real redis binaries: " +
            $"install the Debian package '{DebianPackageFor(name)}' (apt-get install {DebianPackageFor(name)}).",
            name);
    }

    private static string DebianPackageFor(string name) => name switch
    {
        RedisSentinel => "redis-sentinel",
        RedisCli => "redis-tools",
        _ => "redis-server",
    };
}
