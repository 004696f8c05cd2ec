namespace XaiGrid.Store;

/// <summary>A result store that cannot be opened, a request that breaks its rules, or stored data that fails its checks.</summary>
public sealed class StoreException : Exception
{
    public StoreException(string message) : base(message) { }
    public StoreException(string message, Exception inner) : base(message, inner) { }
}
