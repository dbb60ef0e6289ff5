using System.Globalization;
using System.Text;

namespace RespProxy.TestSupport;

/// <summary>
/// One reply as read by <see cref="RawRespClient"/>. <paramref name="Type"/> is the RESP type byte.
/// Simple strings, errors, doubles, big numbers and booleans ('t'/'f') carry <paramref name="Text"/>;
/// integers and booleans (1/0) carry <paramref name="Integer"/>; bulk strings, verbatim strings and blob errors
/// carry <paramref name="Bulk"/> plus its UTF-8 decoding in <paramref name="Text"/> (for verbatim strings without
/// the "txt:" format prefix); arrays, sets, pushes and maps carry <paramref name="Items"/> (maps flattened
/// as key, value, key, value...).
/// </summary>
public sealed record RespValue(char Type, string? Text, long Integer, byte[]? Bulk, IReadOnlyList<RespValue>? Items)
{
    // Long values (e.g. a 1 MB test payload) would otherwise flood assertion messages.
    private const int MaxRenderedTextLength = 200;

    /// <summary>RESP2 null bulk ($-1), RESP2 null array (*-1) or RESP3 null (_).</summary>
    public bool IsNull => Type == '_' || (Type == '$' && Bulk is null) || (Type == '*' && Items is null);

    /// <summary>A simple error (-) or, in RESP3, a blob error (!).</summary>
    public bool IsError => Type is '-' or '!';

    public override string ToString()
    {
        var builder = new StringBuilder();
        Render(builder);
        return builder.ToString();
    }

    private void Render(StringBuilder builder)
    {
        builder.Append(Type);
        switch (Type)
        {
            case ':':
                builder.Append(Integer.ToString(CultureInfo.InvariantCulture));
                break;
            case '_':
                break;
            case '*' or '~' or '>' when Items is null:
            case '$' when Bulk is null:
                builder.Append("(nil)");
                break;
            case '*' or '~' or '>':
                RenderItems(builder, '[', ']', pairs: false);
                break;
            case '%':
                RenderItems(builder, '{', '}', pairs: true);
                break;
            default:
                AppendShortened(builder, Text ?? "");
                break;
        }
    }

    private void RenderItems(StringBuilder builder, char open, char close, bool pairs)
    {
        builder.Append(open);
        for (var i = 0; i < Items!.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(pairs && i % 2 == 1 ? ": " : ", ");
            }

            Items[i].Render(builder);
        }

        builder.Append(close);
    }

    private static void AppendShortened(StringBuilder builder, string text)
    {
        if (text.Length <= MaxRenderedTextLength)
        {
            builder.Append(text);
            return;
        }

        builder.Append(text.AsSpan(0, MaxRenderedTextLength)).Append("...(").Append(text.Length).Append(" chars)");
    }
}
