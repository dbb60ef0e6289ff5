namespace RespProxy.Resp.Parsing;

/// <summary>
/// Limits applied to client requests before anything is sized from them, with Redis's own defaults.
/// </summary>
public sealed record ProtocolLimits
{
    /// <summary>Redis's historic cap on multibulk element count (1024*1024).</summary>
    public const int DefaultMaxMultibulkLength = 1024 * 1024;

    /// <summary>Redis's proto-max-bulk-len default, 512 MiB.</summary>
    public const long DefaultMaxBulkLength = 512L * 1024 * 1024;

    /// <summary>Redis's PROTO_INLINE_MAX_SIZE: an inline request must end within 64 KiB.</summary>
    public const int DefaultMaxInlineLength = 64 * 1024;

    public static ProtocolLimits Default { get; } = new();

    public int MaxMultibulkLength { get; init; } = DefaultMaxMultibulkLength;

    public long MaxBulkLength { get; init; } = DefaultMaxBulkLength;

    public int MaxInlineLength { get; init; } = DefaultMaxInlineLength;
}
