namespace RespProxy.TestSupport;

/// <summary>Outcome of one redis-cli invocation.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout.TrimEnd()}; stderr: {Stderr.TrimEnd()}";
}
