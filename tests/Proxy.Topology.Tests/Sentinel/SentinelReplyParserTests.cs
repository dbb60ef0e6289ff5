using RespProxy.Topology.Model;
using RespProxy.Topology.Sentinel;
using Xunit;
using static RespProxy.Topology.Tests.Sentinel.Replies;

namespace RespProxy.Topology.Tests.Sentinel;

public sealed class SentinelReplyParserTests
{
    [Fact]
    public void Replicas_are_read_from_flat_key_value_arrays()
    {
        var reply = Parse(Array(
            ReplicaEntry("127.0.1.1", 30001, "slave", offset: 9000),
            ReplicaEntry("127.0.2.1", 30002, "s_down,slave,disconnected", linkStatus: "err", offset: 100, linkDownTime: 1500)));

        var replicas = SentinelReplyParser.ParseReplicas(reply);

        Assert.Equal(2, replicas.Count);
        Assert.Equal(new ServerEndpoint("127.0.1.1", 30001), replicas[0].Endpoint);
        Assert.Equal(SentinelInstanceFlags.Replica, replicas[0].Flags);
        Assert.Equal("ok", replicas[0].MasterLinkStatus);
        Assert.Equal(9000, replicas[0].ReplicationOffset);
        Assert.Equal(0, replicas[0].MasterLinkDownTimeMs);

        Assert.Equal(new ServerEndpoint("127.0.2.1", 30002), replicas[1].Endpoint);
        Assert.Equal(
            SentinelInstanceFlags.Replica | SentinelInstanceFlags.SubjectivelyDown | SentinelInstanceFlags.Disconnected,
            replicas[1].Flags);
        Assert.Equal("err", replicas[1].MasterLinkStatus);
        Assert.Equal(1500, replicas[1].MasterLinkDownTimeMs);
    }

    [Fact]
    public void An_empty_replica_list_is_valid()
    {
        Assert.Empty(SentinelReplyParser.ParseReplicas(Parse("*0\r\n")));
    }

    [Fact]
    public void Missing_optional_replica_fields_do_not_fail()
    {
        var reply = Parse(Array(BulkArray("name", "10.0.0.5:6379", "ip", "10.0.0.5", "port", "6379", "flags", "slave")));

        var replica = Assert.Single(SentinelReplyParser.ParseReplicas(reply));

        Assert.Equal("", replica.MasterLinkStatus);
        Assert.Null(replica.ReplicationOffset);
    }

    [Theory]
    [InlineData("*1\r\n$4\r\nname\r\n")] // odd number of items: not key/value pairs
    [InlineData("$5\r\nhello\r\n")] // not an array
    [InlineData("-ERR No such master with that name\r\n")]
    public void Malformed_or_error_replica_replies_throw_FormatException(string wire)
    {
        Assert.Throws<FormatException>(() => SentinelReplyParser.ParseReplicas(Parse(wire.StartsWith('*') ? Array(wire) : wire)));
    }

    [Fact]
    public void A_replica_without_a_valid_port_is_rejected()
    {
        var reply = Parse(Array(BulkArray("ip", "127.0.0.1", "port", "not-a-port", "flags", "slave")));

        Assert.Throws<FormatException>(() => SentinelReplyParser.ParseReplicas(reply));
    }

    [Fact]
    public void Master_reads_address_flags_and_config_epoch()
    {
        var reply = Parse(BulkArray(
            "name", "g1", "ip", "127.0.0.1", "port", "6379", "runid", "abc", "flags", "master,o_down,failover_in_progress",
            "num-slaves", "2", "config-epoch", "7", "quorum", "2"));

        var master = SentinelReplyParser.ParseMaster(reply);

        Assert.Equal("g1", master.Name);
        Assert.Equal(new ServerEndpoint("127.0.0.1", 6379), master.Endpoint);
        Assert.Equal(
            SentinelInstanceFlags.Master | SentinelInstanceFlags.ObjectivelyDown | SentinelInstanceFlags.FailoverInProgress,
            master.Flags);
        Assert.Equal(7, master.ConfigEpoch);
    }

    [Fact]
    public void Master_address_is_an_ip_port_pair_or_null()
    {
        Assert.Equal(new ServerEndpoint("127.0.1.1", 30001), SentinelReplyParser.ParseMasterAddress(Parse(BulkArray("127.0.1.1", "30001"))));
        Assert.Null(SentinelReplyParser.ParseMasterAddress(Parse("*-1\r\n")));
        Assert.Null(SentinelReplyParser.ParseMasterAddress(Parse("$-1\r\n")));
        Assert.Throws<FormatException>(() => SentinelReplyParser.ParseMasterAddress(Parse(BulkArray("127.0.0.1"))));
    }

    [Fact]
    public void Peers_are_read_from_SENTINEL_SENTINELS()
    {
        var reply = Parse(Array(
            BulkArray("name", "id1", "ip", "127.0.0.12", "port", "26380", "flags", "sentinel"),
            BulkArray("name", "name2", "ip", "127.0.0.13", "port", "26381", "runid", "id2", "flags", "s_down,sentinel,disconnected")));

        var peers = SentinelReplyParser.ParsePeers(reply);

        Assert.Equal([new SentinelPeer(new ServerEndpoint("127.0.0.12", 26380), "id1"), new SentinelPeer(new ServerEndpoint("127.0.0.13", 26381), "id2")], peers);
    }

    [Fact]
    public void Run_id_is_read_from_INFO_server()
    {
        var reply = Parse(Bulk("# Server\r\nredis_version:7.0.15\r\nrun_id:abc123\r\nredis_mode:sentinel\r\n"));

        Assert.Equal("abc123", SentinelReplyParser.ParseRunId(reply));
        Assert.Null(SentinelReplyParser.ParseRunId(Parse(Bulk("# Server\r\n"))));
    }

    [Fact]
    public void Interpret_reads_a_whole_batch_and_notes_groups_the_sentinel_does_not_know()
    {
        var sentinel = new ServerEndpoint("127.0.0.11", 26379);
        RespReply[] replies =
        [
            Parse(BulkArray("127.0.0.1", "6379")),
            Parse(BulkArray("name", "g1", "ip", "127.0.0.1", "port", "6379", "flags", "master", "config-epoch", "2")),
            Parse(Array(ReplicaEntry("127.0.1.1", 6380, "slave"))),
            Parse(Array(BulkArray("name", "p", "ip", "127.0.0.12", "port", "26379", "runid", "peer", "flags", "sentinel"))),
            Parse("*-1\r\n"),
            Parse("-ERR No such master with that name\r\n"),
            Parse("-ERR No such master with that name\r\n"),
            Parse("-ERR No such master with that name\r\n"),
        ];

        var answer = SentinelQueries.Interpret(sentinel, "me", ["g1", "g2"], replies);

        Assert.Equal(8, SentinelQueries.BuildBatch(["g1", "g2"]).Count);
        var view = answer.Groups["g1"];
        Assert.Equal(new ServerEndpoint("127.0.0.1", 6379), view.MasterAddress);
        Assert.Equal(2, view.ConfigEpoch);
        Assert.Single(view.Replicas);
        Assert.False(answer.Groups.ContainsKey("g2"));
        Assert.Contains(answer.Problems, problem => problem.StartsWith("g2:", StringComparison.Ordinal));
        Assert.Equal("peer", Assert.Single(answer.Peers).RunId);
        Assert.Equal("me", answer.RunId);
    }

    [Fact]
    public void Role_of_a_master_carries_its_offset()
    {
        var reply = Parse("*3\r\n$6\r\nmaster\r\n:3129659\r\n*1\r\n" + BulkArray("127.0.1.1", "30001", "3129242"));

        var role = SentinelReplyParser.ParseRole(reply);

        Assert.True(role.IsMaster);
        Assert.Equal(3129659, role.Offset);
    }

    [Fact]
    public void Role_of_a_replica_carries_master_link_state_and_offset()
    {
        var reply = Parse("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:3167038\r\n");

        var role = SentinelReplyParser.ParseRole(reply);

        Assert.False(role.IsMaster);
        Assert.Equal("slave", role.Role);
        Assert.Equal(new ServerEndpoint("127.0.0.1", 6379), role.Master);
        Assert.Equal("connected", role.LinkState);
        Assert.Equal(3167038, role.Offset);
    }

    [Fact]
    public void Info_replication_of_a_replica()
    {
        const string Text = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\n"
            + "master_sync_in_progress:0\r\nslave_repl_offset:4242\r\nmaster_repl_offset:4242\r\n";

        var info = SentinelReplyParser.ParseInfoReplication(Text);

        Assert.Equal("slave", info.Role);
        Assert.Equal("up", info.MasterLinkStatus);
        Assert.Equal(4242, info.ReplicaOffset);
        Assert.False(info.SyncInProgress);
        Assert.False(info.Loading);
    }

    [Theory]
    [InlineData("+switch-master", "g1 127.0.0.1 6379 127.0.1.1 30001", "g1")]
    [InlineData("+sdown", "slave 127.0.1.1:30001 127.0.1.1 30001 @ g1 127.0.0.1 6379", "g1")]
    [InlineData("+odown", "master g1 127.0.0.1 6379 #quorum 2/2", "g1")]
    [InlineData("+role-change", "slave 127.0.1.1:30001 127.0.1.1 30001 @ g2 127.0.0.1 6379 new reported role is master", "g2")]
    [InlineData("+sdown", "sentinel 0123abcd 127.0.0.12 26379 @ g3 127.0.0.1 6379", "g3")]
    [InlineData("+failover-end", "master g1 127.0.0.1 6379", "g1")]
    public void Events_name_their_group(string channel, string payload, string group)
    {
        var parsed = SentinelReplyParser.ParseEvent(channel, payload);

        Assert.Equal(channel, parsed.Channel);
        Assert.Equal(group, parsed.GroupName);
        Assert.Equal(payload, parsed.Payload);
    }

    [Fact]
    public void Flags_ignore_unknown_words()
    {
        Assert.Equal(
            SentinelInstanceFlags.Replica | SentinelInstanceFlags.ObjectivelyDown,
            SentinelInstanceFlagsParser.Parse("slave,o_down,some_future_flag"));
        Assert.Equal(SentinelInstanceFlags.None, SentinelInstanceFlagsParser.Parse(""));
    }
}
