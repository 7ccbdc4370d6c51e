namespace QcPipeline.Vision;

/// <summary>What kind of failure a <see cref="VisionException"/> reports </summary>
public enum VisionErrorKind
{
    /// <summary>Bad input rejected at the boundary (null, empty, out-of-range rectangle, size mismatch).</summary>
    Argument = -1,
    /// <summary>The bytes are not a decodable image.</summary>
    Decode = -2,
    /// <summary>OpenCV raised an error.</summary>
    OpenCv = -3,
    /// <summary>Native memory ran out.</summary>
    OutOfMemory = -4,
    /// <summary>Any other native failure.</summary>
    Internal = -5,
    /// <summary>The image is larger than the pixel limit (or another size than its golden): refused before decoding.</summary>
    TooLarge = -6,
    /// <summary>A file could not be read.</summary>
    Io = -10,
}

/// <summary>A vision operation failed; the message is one line saying what and where.</summary>
public sealed class VisionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VisionException(string message, VisionErrorKind kind, Exception? inner = null) : base(message, inner) => Kind = kind;

    /// <summary>The kind of failure.</summary>
    public VisionErrorKind Kind { get; }
}
