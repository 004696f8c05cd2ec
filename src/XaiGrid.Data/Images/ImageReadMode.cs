namespace XaiGrid.Data;

/// <summary>The channels <see cref="ImageFile"/> returns, whatever the file stores (an alpha channel is dropped).</summary>
public enum ImageReadMode
{
    /// <summary>Three channels, red, green, blue; a gray file's value is repeated in each.</summary>
    RGB,

    /// <summary>
    /// One channel. A colour file is weighed as Pillow's <c>convert("L")</c> does (ITU-R 601-2 luma in 16-bit fixed point):
    /// L = (19595 R + 38470 G + 7471 B + 32768) &gt;&gt; 16 on the file's integer samples; a gray file is kept as it is.
    /// </summary>
    Gray,
}
