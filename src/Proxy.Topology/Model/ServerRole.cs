namespace RespProxy.Topology.Model;

public enum ServerRole : byte
{
    Master,
    Replica,
}
