using PureHDF;
using PureHDF.VOL.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>
/// An HDF5 file opened read-only (PureHDF): datasets as tensors of their own shape and dtype, and string attributes.
/// Objects are named by their path from the root group, through nested groups as Keras writes them
/// (<c>model_weights/dense/dense/kernel:0</c>). Contiguous and chunked datasets are read, with or without gzip.
/// Errors are <see cref="InvalidDataException"/>s naming the file and the object.
/// </summary>
public sealed class Hdf5File : IDisposable
{
    /// <summary>The element types read, and the dtypes they keep.</summary>
    public const string ReadableTypes = "float32, float64, uint8, int8, int16, int32, int64";

    // Listing every dataset of a large file in an error would bury the message.
    private const int ListedInErrors = 20;

    private readonly NativeFile file;

    private Hdf5File(string path, NativeFile file)
    {
        Path = path;
        this.file = file;
    }

    public string Path { get; }

    public static Hdf5File Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"HDF5 file not found: {path}", path);
        try
        {
            return new Hdf5File(path, H5File.OpenRead(path));
        }
        catch (Exception e)
        {
            throw new InvalidDataException($"{path}: not a readable HDF5 file ({e.Message})", e);
        }
    }

    /// <summary>
    /// One dataset as a CPU tensor of the same shape and dtype. <paramref name="shape"/>, when given, is the shape
    /// expected, with -1 for a dimension of any size: a dataset of another shape is refused.
    /// </summary>
    public Tensor Read(string dataset, long[]? shape = null)
    {
        var found = Find(dataset);
        if (found is not IH5Dataset data)
        {
            var what = found is null ? "has no dataset" : "has a group, not a dataset, at";
            throw new InvalidDataException($"{Path} {what} '{dataset}'; its datasets: {Listing(DatasetPaths())}");
        }
        if (data.Space.Type == H5DataspaceType.Null)
            throw new InvalidDataException($"{Path}: dataset '{dataset}' is empty (a null dataspace)");
        var actual = data.Space.Dimensions.Select(d => (long)d).ToArray();
        if (shape is not null && (shape.Length != actual.Length || shape.Zip(actual).Any(p => p.First != -1 && p.First != p.Second)))
            throw new InvalidDataException($"{Path}: dataset '{dataset}' is {Format(actual)}, expected {Format(shape)}");

        var type = data.Type;
        Func<Tensor>? read = (type.Class, type.Size, type.Class == H5DataTypeClass.FixedPoint && type.FixedPoint.IsSigned) switch
        {
            (H5DataTypeClass.FloatingPoint, 4, _) => () => torch.tensor(data.Read<float[]>(), actual),
            (H5DataTypeClass.FloatingPoint, 8, _) => () => torch.tensor(data.Read<double[]>(), actual),
            (H5DataTypeClass.FixedPoint, 1, false) => () => torch.tensor(data.Read<byte[]>(), actual),
            (H5DataTypeClass.FixedPoint, 1, true) => () => torch.tensor(data.Read<sbyte[]>(), actual),
            (H5DataTypeClass.FixedPoint, 2, true) => () => torch.tensor(data.Read<short[]>(), actual),
            (H5DataTypeClass.FixedPoint, 4, true) => () => torch.tensor(data.Read<int[]>(), actual),
            (H5DataTypeClass.FixedPoint, 8, true) => () => torch.tensor(data.Read<long[]>(), actual),
            _ => null,
        };
        if (read is null)
            throw new InvalidDataException($"{Path}: dataset '{dataset}' holds {Describe(type)}; the types read are {ReadableTypes}");
        try
        {
            return read();
        }
        catch (Exception e)
        {
            throw new InvalidDataException($"{Path}: cannot read dataset '{dataset}': {e.Message}", e);
        }
    }

    /// <summary>A string attribute of the object at <paramref name="objectPath"/> ("" or "/" for the root group).</summary>
    public string ReadStringAttribute(string objectPath, string attribute)
    {
        var owner = objectPath is "" or "/" ? file : Find(objectPath)
            ?? throw new InvalidDataException($"{Path} has no object '{objectPath}' to read attribute '{attribute}' from");
        var where = objectPath is "" or "/" ? "the root group" : $"'{objectPath}'";
        if (!owner.AttributeExists(attribute))
            throw new InvalidDataException(
                $"{Path}: {where} has no attribute '{attribute}'; its attributes: {Listing(owner.Attributes().Select(a => a.Name))}");
        var attr = owner.Attribute(attribute);
        // h5py writes a str as a variable-length string and numpy bytes (as Keras does) as a fixed-length one.
        if (attr.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
            throw new InvalidDataException($"{Path}: attribute '{attribute}' of {where} holds {Describe(attr.Type)}, not a string");
        try
        {
            return attr.Read<string>();
        }
        catch (Exception e)
        {
            throw new InvalidDataException($"{Path}: cannot read attribute '{attribute}' of {where}: {e.Message}", e);
        }
    }

    /// <summary>The paths of all datasets, depth first in the file's link order.</summary>
    public IEnumerable<string> DatasetPaths() => DatasetPaths(file, "");

    private static IEnumerable<string> DatasetPaths(IH5Group group, string prefix)
    {
        foreach (var child in group.Children())
        {
            if (child is IH5Dataset) yield return prefix + child.Name;
            else if (child is IH5Group inner)
                foreach (var path in DatasetPaths(inner, prefix + child.Name + "/")) yield return path;
        }
    }

    /// <summary>The object at a path from the root, or null when a link along it is missing.</summary>
    private IH5Object? Find(string path)
    {
        IH5Object current = file;
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (current is not IH5Group group || !group.LinkExists(name)) return null;
            current = group.Get(name);
        }
        return current;
    }

    private static string Listing(IEnumerable<string> names)
    {
        var all = names.ToList();
        if (all.Count == 0) return "none";
        var shown = string.Join(", ", all.Take(ListedInErrors));
        return all.Count > ListedInErrors ? $"{shown} and {all.Count - ListedInErrors} more" : shown;
    }

    private static string Describe(IH5DataType type) => type.Class switch
    {
        H5DataTypeClass.FixedPoint => $"{(type.FixedPoint.IsSigned ? "signed" : "unsigned")} {8 * type.Size}-bit integers",
        H5DataTypeClass.FloatingPoint => $"{8 * type.Size}-bit floats",
        _ => $"{type.Class} values of {type.Size} bytes",
    };

    private static string Format(long[] shape) => $"[{string.Join(", ", shape.Select(d => d < 0 ? "*" : d.ToString()))}]";

    public void Dispose() => file.Dispose();
}
