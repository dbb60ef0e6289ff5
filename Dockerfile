# Build and run RespProxy. The image runs the proxy only; point Topology:Servers at your Redis.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Proxy -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY config ./config
EXPOSE 6380 9121
ENTRYPOINT ["dotnet", "RespProxy.dll", "--config", "config/standalone.json", "--Proxy:Listen=0.0.0.0:6380", "--Proxy:AdminListen=0.0.0.0:9121"]
