using System.Net;
using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;
using Xunit;

namespace RespProxy.Topology.Tests.Sentinel;

public sealed class DataCenterMapTests
{
    private static DataCenterMap Map(params (string Name, string[] Entries)[] dataCenters) =>
        new(dataCenters.ToDictionary(dc => dc.Name, dc => dc.Entries.ToList()));

    [Theory]
    [InlineData("127.0.1.0", "east")]
    [InlineData("127.0.1.77", "east")]
    [InlineData("127.0.1.255", "east")]
    [InlineData("127.0.2.1", "west")]
    [InlineData("10.20.30.40", "big")]
    public void Ipv4_cidrs_match_their_range(string address, string expected)
    {
        var map = Map(("east", ["127.0.1.0/24"]), ("west", ["127.0.2.0/23"]), ("big", ["10.0.0.0/8"]));

        Assert.Equal(expected, map.Resolve(address));
    }

    [Theory]
    [InlineData("127.0.0.255")]
    [InlineData("127.0.4.1")]
    [InlineData("11.0.0.1")]
    [InlineData("::1")]
    [InlineData("redis-x")]
    public void Addresses_outside_every_entry_have_no_datacenter(string address)
    {
        var map = Map(("east", ["127.0.1.0/24"]), ("west", ["127.0.2.0/23"]), ("big", ["10.0.0.0/8"]));

        Assert.Null(map.Resolve(address));
    }

    [Fact]
    public void Plain_addresses_match_exactly_and_beat_a_cidr()
    {
        var map = Map(("main", ["127.0.0.1"]), ("loopback", ["127.0.0.0/8"]));

        Assert.Equal("main", map.Resolve(new ServerEndpoint("127.0.0.1", 6379)));
        Assert.Equal("loopback", map.Resolve(new ServerEndpoint("127.0.0.2", 6379)));
    }

    [Fact]
    public void Longer_prefixes_win_over_shorter_ones()
    {
        var map = Map(("wide", ["10.0.0.0/8"]), ("narrow", ["10.1.2.0/24"]), ("bits", ["10.1.2.128/25"]));

        Assert.Equal("bits", map.Resolve("10.1.2.200"));
        Assert.Equal("narrow", map.Resolve("10.1.2.100"));
        Assert.Equal("wide", map.Resolve("10.9.9.9"));
    }

    [Fact]
    public void Cidr_base_with_host_bits_set_still_describes_the_network()
    {
        var map = Map(("east", ["127.0.1.9/24"]));

        Assert.Equal("east", map.Resolve("127.0.1.200"));
    }

    [Fact]
    public void Ipv6_and_mapped_ipv4_addresses()
    {
        var map = Map(("v6", ["fd00:1::/32"]), ("v4", ["192.168.0.0/16"]));

        Assert.Equal("v6", map.Resolve("fd00:1:abcd::5"));
        Assert.Equal("v6", map.Resolve(new ServerEndpoint("fd00:1::1", 6379)));
        Assert.Equal("v4", map.Resolve(IPAddress.Parse("::ffff:192.168.3.4")));
        Assert.Null(map.Resolve("fd00:2::1"));
    }

    [Fact]
    public void Host_names_match_case_insensitively()
    {
        var map = Map(("east", ["redis-a.east.internal"]));

        Assert.Equal("east", map.Resolve(new ServerEndpoint("REDIS-A.east.internal", 6379)));
        Assert.Null(map.Resolve("redis-b.east.internal"));
    }

    [Theory]
    [InlineData("127.0.0.0/33")]
    [InlineData("127.0.0.0/x")]
    [InlineData("not a host")]
    [InlineData("redis/24")]
    public void Invalid_entries_are_rejected_up_front(string entry)
    {
        Assert.Throws<FormatException>(() => Map(("dc", [entry])));
    }

    [Fact]
    public void An_empty_map_resolves_nothing()
    {
        Assert.True(DataCenterMap.Empty.IsEmpty);
        Assert.Null(DataCenterMap.Empty.Resolve("127.0.0.1"));
    }
}
