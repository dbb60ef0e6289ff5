using System.Globalization;
using System.Text;

namespace RespProxy.Topology.Sentinel;

internal enum RespReplyKind : byte
{
    /// <summary>Simple, bulk or verbatim string (and RESP3 doubles / big numbers, kept as text).</summary>
    Text,
    Error,
    Integer,

    /// <summary>Array, set or push; a RESP3 map is flattened to key, value, key, value.</summary>
    Array,
    Null,
}

/// <summary>
/// One decoded reply of the watcher's own small client. Sentinel and INFO replies are short text, so values are
/// materialised as strings; the proxy's data path never goes through this type.
/// </summary>
internal sealed class RespReply
{
    public static readonly RespReply Nil = new(RespReplyKind.Null, null, 0, []);

    private RespReply(RespReplyKind kind, string? text, long integer, IReadOnlyList<RespReply> items)
    {
        Kind = kind;
        Text = text;
        Integer = integer;
        Items = items;
    }

    public RespReplyKind Kind { get; }

    /// <summary>The string of a text reply or the message of an error; null otherwise.</summary>
    public string? Text { get; }

    public long Integer { get; }

    /// <summary>Children of an array reply; empty for every other kind.</summary>
    public IReadOnlyList<RespReply> Items { get; }

    public bool IsError => Kind == RespReplyKind.Error;

    public bool IsNull => Kind == RespReplyKind.Null;

    public static RespReply FromText(string text) => new(RespReplyKind.Text, text, 0, []);

    public static RespReply FromError(string message) => new(RespReplyKind.Error, message, 0, []);

    public static RespReply FromInteger(long value) => new(RespReplyKind.Integer, null, value, []);

    public static RespReply FromArray(IReadOnlyList<RespReply> items) => new(RespReplyKind.Array, null, 0, items);

    /// <summary>Text of a string reply, or the decimal form of an integer; null for errors, nulls and arrays.</summary>
    public string? AsString() => Kind switch
    {
        RespReplyKind.Text => Text,
        RespReplyKind.Integer => Integer.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>An integer reply, or a string reply holding a decimal integer (sentinel sends numbers as strings).</summary>
    public bool TryGetInt64(out long value)
    {
        if (Kind == RespReplyKind.Integer)
        {
            value = Integer;
            return true;
        }

        return long.TryParse(AsString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public override string ToString()
    {
        var builder = new StringBuilder();
        Render(builder);
        return builder.ToString();
    }

    private void Render(StringBuilder builder)
    {
        switch (Kind)
        {
            case RespReplyKind.Text:
                builder.Append('"').Append(Text).Append('"');
                break;
            case RespReplyKind.Error:
                builder.Append("(error) ").Append(Text);
                break;
            case RespReplyKind.Integer:
                builder.Append(Integer.ToString(CultureInfo.InvariantCulture));
                break;
            case RespReplyKind.Null:
                builder.Append("(nil)");
                break;
            default:
                builder.Append('[');
                for (int i = 0; i < Items.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(", ");
                    }

                    Items[i].Render(builder);
                }

                builder.Append(']');
                break;
        }
    }
}
