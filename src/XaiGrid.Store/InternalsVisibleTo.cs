using System.Runtime.CompilerServices;

// The migration runner is tested with step lists of its own, not only the shipped one.
[assembly: InternalsVisibleTo("XaiGrid.Store.Tests")]
