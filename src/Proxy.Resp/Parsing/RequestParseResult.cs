namespace RespProxy.Resp.Parsing;

public enum RequestParseResult : byte
{
    /// <summary>The frame is incomplete; call again with the same start and more bytes.</summary>
    NeedMoreData,

    /// <summary><see cref="RequestParser.Request"/> holds a complete request.</summary>
    Request,

    /// <summary>Bytes that carry no command (an empty inline line, "*0"), consumed without a reply, as Redis does.</summary>
    Skipped,

    /// <summary>Malformed input: reply with <see cref="RequestParser.Error"/> and close the connection.</summary>
    Error,
}
