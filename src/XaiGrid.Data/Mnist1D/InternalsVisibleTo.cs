using System.Runtime.CompilerServices;

// The numpy/scipy routines stay internal (they serve the port only) but are checked directly against numpy.
[assembly: InternalsVisibleTo("XaiGrid.Data.Tests")]
