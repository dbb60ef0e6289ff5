namespace RespProxy.Resp.Framing;

/// <summary>Outcome of one scan step: a frame boundary found, more bytes needed, or bytes that are not RESP.</summary>
public enum ScanResult : byte
{
    NeedMoreData,
    Complete,
    Invalid,
}
