using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace QcPipeline.Service.Inspection;

/// <summary>An uploaded image: its bytes, the name it is reported under, and the product it asks for.</summary>
public sealed record ImageUpload(byte[] Bytes, string Name, string? Product);

/// <summary>A request body that is not an image the server can take, with the status to answer.</summary>
public sealed class ImageBodyException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status: 400, 413 or 415.</summary>
    public int Status { get; } = status;
}

/// <summary>
/// Reads `POST /v1/inspect`: the image as the body (image/png, image/jpeg) or as the file of a multipart form (with an
/// optional `product` field). The product may also be named by `?product=`, the image's name by `?name=` (or the
/// form's file name). Bodies over the limit, of another type, or empty are refused before anything is decoded.
/// </summary>
public static partial class ImageBody
{
    /// <summary>Types taken as a raw body.</summary>
    public static readonly string[] ImageTypes = ["image/png", "image/jpeg", "image/jpg"];

    /// <summary>Reads the upload.</summary>
    public static async Task<ImageUpload> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.MediaType.Value is not { } media)
            throw new ImageBodyException(StatusCodes.Status415UnsupportedMediaType,
                "send the image as the body with Content-Type image/png or image/jpeg, or as multipart/form-data");
        var product = request.Query["product"].FirstOrDefault();
        var name = request.Query["name"].FirstOrDefault();
        if (ImageTypes.Contains(media, StringComparer.OrdinalIgnoreCase))
        {
            var bytes = await ReadAllAsync(request.Body, request.ContentLength, maxBytes, ct).ConfigureAwait(false);
            return new ImageUpload(bytes, SafeName(name, media.EndsWith("png", StringComparison.OrdinalIgnoreCase) ? ".png" : ".jpg"), product);
        }
        if (media.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return await ReadFormAsync(request, type, maxBytes, product, name, ct).ConfigureAwait(false);
        throw new ImageBodyException(StatusCodes.Status415UnsupportedMediaType,
            $"Content-Type {media} is not taken: send image/png, image/jpeg or multipart/form-data");
    }

    private static async Task<ImageUpload> ReadFormAsync(HttpRequest request, MediaTypeHeaderValue type, long maxBytes,
        string? product, string? name, CancellationToken ct)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 200)
            throw new ImageBodyException(StatusCodes.Status400BadRequest, "multipart/form-data without a boundary");
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = maxBytes, HeadersLengthLimit = 16 * 1024 };
        byte[]? image = null;
        try
        {
            while (await reader.ReadNextSectionAsync(ct).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
                if (disposition.IsFileDisposition() && image is null)
                {
                    image = await ReadAllAsync(section.Body, null, maxBytes, ct).ConfigureAwait(false);
                    name ??= disposition.FileName.Value ?? disposition.FileNameStar.Value;
                }
                else if (disposition.IsFormDisposition() && HeaderUtilities.RemoveQuotes(disposition.Name).Value == "product")
                {
                    using var text = new StreamReader(section.Body);
                    var value = await text.ReadToEndAsync(ct).ConfigureAwait(false);
                    if (value.Length > 200) throw new ImageBodyException(StatusCodes.Status400BadRequest, "the product field is longer than 200 characters");
                    product ??= value.Trim();
                }
            }
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new ImageBodyException(StatusCodes.Status413PayloadTooLarge, $"the form is larger than the limit of {maxBytes} bytes");
        }
        catch (IOException e) when (e is not Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            throw new ImageBodyException(StatusCodes.Status400BadRequest, $"the multipart form cannot be read: {e.Message}");
        }
        if (image is null) throw new ImageBodyException(StatusCodes.Status400BadRequest, "the multipart form holds no file: send the image as a file field");
        return new ImageUpload(image, SafeName(name, ".png"), product);
    }

    private static async Task<byte[]> ReadAllAsync(Stream body, long? length, long maxBytes, CancellationToken ct)
    {
        if (length > maxBytes) throw TooLarge(maxBytes);
        using var buffer = new MemoryStream(length is > 0 and <= int.MaxValue ? (int)length.Value : 64 * 1024);
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw new ImageBodyException(StatusCodes.Status400BadRequest, "the body is empty: send the image");
        return buffer.ToArray();
    }

    private static ImageBodyException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the image is larger than the limit of {maxBytes} bytes (--max-body)");

    /// <summary>The name an upload is reported under: its own name reduced to safe characters, or upload.EXT.</summary>
    public static string SafeName(string? name, string extension)
    {
        var plain = Path.GetFileName(HeaderUtilities.RemoveQuotes(name ?? "").Value ?? "");
        plain = Unsafe().Replace(plain, "_").Trim('.', '_');
        if (plain.Length > 100) plain = plain[^100..];
        return plain.Length == 0 ? "upload" + extension : plain;
    }

    [GeneratedRegex(@"[^A-Za-z0-9._-]")]
    private static partial Regex Unsafe();
}
