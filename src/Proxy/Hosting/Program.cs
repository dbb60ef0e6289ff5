using RespProxy.Hosting;

// RespProxy: a Redis-protocol proxy. `RespProxy --config FILE [--Section:Key=value ...]`.
SocketTuning.Apply();
var app = ProxyHost.Build(args);
await app.RunAsync();
