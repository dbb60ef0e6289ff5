using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace RespProxy.IntegrationTests.LoadTests;

/// <summary>
/// loadtests/side-by-side.py end to end, on a small scale: it starts Redis, twemproxy, the RespProxy built with this
/// suite and one more proxy given as an --extra command, runs RespLoad with --verify against each, round by round,
/// and summarises. Every run must verify, and every endpoint must be measured.
/// </summary>
public sealed class SideBySideRunTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Verified_rounds_cover_every_endpoint_and_test()
    {
        string proxy = BuildOutput("src", "Proxy", "RespProxy");
        string respLoad = BuildOutput("loadtests", "RespLoad", "RespLoad.dll");
        string outDir = Directory.CreateTempSubdirectory("respproxy-side-by-side.").FullName;
        try
        {
            string extra = $"again=exec {proxy} --Proxy:Listen=127.0.0.1:{{listen_port}} --Proxy:AdminListen=127.0.0.1:0 " +
                "--Topology:Mode=Standalone --Topology:Servers:0=127.0.0.1:{backend_port}";
            var (exitCode, output) = await RunScriptAsync(
                Script,
                "--rounds", "2", "--tests", "get_p16 mset10 mixed", "--verify", "--pin", "none",
                "--test", "mixed=--pipeline 4 --mix set:3,get:3,mget:2,incr:2 --keys-per-multi 3 --requests 6000",
                "--n-p16", "20000", "--n-multi", "2000", "--keyspace", "1000", "--clients", "8", "--warmup-seconds", "0.2",
                "--proxy-bin", proxy, "--respload-dll", respLoad, "--extra", extra, "--out", outDir);
            Assert.True(exitCode == 0, $"side-by-side.py exited with {exitCode}:\n{output}");

            string[] endpoints = ["direct", "twemproxy", "respproxy", "again"];
            string[] tests = ["get_p16", "mset10", "mixed"];
            var rows = File.ReadAllLines(Path.Combine(outDir, "raw.tsv")).Skip(1).Select(line => line.Split('\t')).ToList();
            Assert.Equal(2 * tests.Length * endpoints.Length, rows.Count);
            foreach (var row in rows)
            {
                Assert.Contains(row[2], endpoints);
                Assert.True(double.Parse(row[3], CultureInfo.InvariantCulture) > 0, string.Join(' ', row));
                Assert.True(long.Parse(row[8], CultureInfo.InvariantCulture) > 0, string.Join(' ', row));
                Assert.Equal("0", row[9]);
            }

            foreach (var test in tests)
            {
                foreach (var endpoint in endpoints)
                {
                    Assert.Equal(2, rows.Count(r => r[1] == test && r[2] == endpoint));
                }
            }

            string summary = await File.ReadAllTextAsync(Path.Combine(outDir, "summary.md"));
            Assert.Contains("- respproxy: ", summary, StringComparison.Ordinal);
            Assert.Contains("- twemproxy: ", summary, StringComparison.Ordinal);
            Assert.Contains("- again: ", summary, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public async Task An_endpoint_that_refuses_requests_fails_the_run_and_is_named()
    {
        string respLoad = BuildOutput("loadtests", "RespLoad", "RespLoad.dll");
        string outDir = Directory.CreateTempSubdirectory("respproxy-side-by-side.").FullName;
        try
        {
            // A Redis with a 1-byte memory limit answers every SET with -OOM: a wrong answer the run must not hide.
            string refusing = "refusing=exec redis-server --port {listen_port} --bind 127.0.0.1 --save '' --appendonly no " +
                $"--maxmemory 1 --dir {outDir}";
            var (exitCode, output) = await RunScriptAsync(
                Script,
                "--rounds", "1", "--tests", "set_p16", "--verify", "--pin", "none", "--n-p16", "2000", "--keyspace", "100",
                "--clients", "4", "--warmup-seconds", "0", "--no-twemproxy", "--no-respproxy",
                "--respload-dll", respLoad, "--extra", refusing, "--out", outDir);
            Assert.True(exitCode == 1, $"side-by-side.py exited with {exitCode}, not 1:\n{output}");
            Assert.Contains("FAILED", output, StringComparison.Ordinal);

            var rows = File.ReadAllLines(Path.Combine(outDir, "raw.tsv")).Skip(1).Select(line => line.Split('\t')).ToList();
            Assert.Equal(["direct", "refusing"], rows.Select(r => r[2]).Order());
            Assert.Equal("", rows.Single(r => r[2] == "direct")[10]);
            Assert.NotEqual("", rows.Single(r => r[2] == "refusing")[10]);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    private static readonly string Root = RepositoryRoot();

    private static string Script => Path.Combine(Root, "loadtests", "side-by-side.py");

    // A project's output of the same configuration as this test assembly (bin/<configuration>/net10.0/).
    private static string BuildOutput(string folder, string project, string file)
    {
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        return Path.Combine(Root, folder, project, "bin", configuration, "net10.0", file);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RespProxy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"RespProxy.sln not found above {AppContext.BaseDirectory}");
    }

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(string script, params string[] args)
    {
        var startInfo = new ProcessStartInfo("python3")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("python3 could not be started.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // The script and the servers it started, each by its PID (they are its children).
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"side-by-side.py did not finish within {Deadline}:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
