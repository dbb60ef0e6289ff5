namespace RespProxy.Connections;

/// <summary>The multi-key commands the proxy splits across groups, and how their replies are merged.</summary>
internal enum MultiKeyCommand : byte
{
    None,

    /// <summary>MGET: the children's arrays are interleaved back into the keys' order.</summary>
    Mget,

    /// <summary>MSET: OK when every child said OK.</summary>
    Mset,

    /// <summary>DEL, UNLINK, EXISTS, TOUCH: the children's integers are added up.</summary>
    SumIntegers,
}
