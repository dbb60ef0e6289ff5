namespace RespProxy.Resp.Parsing;

/// <summary>Why a client's bytes are not a request. Each maps to Redis's reply text in <see cref="ProtocolErrors"/>.</summary>
public enum ProtocolError : byte
{
    None,
    InvalidMultibulkLength,
    InvalidBulkLength,
    ExpectedDollar,
    TooBigInlineRequest,
    UnbalancedQuotes,
    MissingBulkTerminator,
}
