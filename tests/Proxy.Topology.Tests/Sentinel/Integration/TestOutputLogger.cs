using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace RespProxy.Topology.Tests.Sentinel.Integration;

/// <summary>Sends the watcher's log to the test output, stamped with the time since the test started.</summary>
internal sealed class TestOutputLogger : ILogger
{
    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TestOutputLogger(ITestOutputHelper output) => _output = output;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        WriteLine($"{logLevel,-11} {eventId.Name}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
    }

    public void WriteLine(string line)
    {
        try
        {
            _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.000}] {line}");
        }
        catch (InvalidOperationException)
        {
            // A background task logged after the test finished: nowhere to write it.
        }
    }
}
