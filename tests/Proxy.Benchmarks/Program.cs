using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Proxy.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(RespProxy.Benchmarks.ParsingBenchmarks).Assembly).Run(args);
