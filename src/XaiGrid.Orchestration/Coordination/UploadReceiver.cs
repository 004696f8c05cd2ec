using System.Security.Cryptography;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using XaiGrid.Orchestration.Messages;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>
/// Reads the streamed artifacts of one finished cell (in the order of <see cref="CellCompleted.Artifacts"/>, the
/// inline ones left out) into spool files, checking each one's length and hash as it goes, then tells its parent
/// (the coordinator) <see cref="Finished"/> with the files, or <see cref="Failed"/>, and stops. Memory holds a few
/// chunks at a time (the stream ref's buffer), however large the artifacts.
/// </summary>
public sealed class UploadReceiver : ReceiveActor
{
    public sealed record Finished(CellCompleted Completed, IReadOnlyDictionary<string, string> Files);

    public sealed record Failed(string Key, string Worker, string Error);

    private sealed record Done(Exception? Error);

    private readonly CellCompleted completed;
    private readonly Spool spool;

    public UploadReceiver(CellCompleted completed, string folder)
    {
        this.completed = completed;
        spool = new Spool(completed, folder);
        Receive<Done>(done =>
        {
            var error = done.Error ?? spool.Complete();
            if (error is null) Context.Parent.Tell(new Finished(completed, spool.Files));
            else
            {
                spool.Delete();
                Context.Parent.Tell(new Failed(completed.Key, completed.Worker, $"uploading the result failed: {Describe(error)}"));
            }
            Context.Stop(Self);
        });
    }

    public static Props Props(CellCompleted completed, string folder) => Akka.Actor.Props.Create(() => new UploadReceiver(completed, folder));

    protected override void PreStart()
    {
        completed.Upload!.Source
            .RunForeach(chunk => spool.Write(chunk.Bytes), Context.Materializer())
            .ContinueWith(t => new Done(t.Exception?.GetBaseException()), TaskScheduler.Default)
            .PipeTo(Self);
    }

    protected override void PostStop() => spool.Dispose();

    private static string Describe(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? Describe(a.InnerExceptions[0]) : e.Message;

    /// <summary>Consecutive artifacts of a byte stream into one file each; used from the stream's thread, then the actor's.</summary>
    private sealed class Spool : IDisposable
    {
        private readonly List<ResultArtifact> expected;
        private readonly string folder;
        private readonly Dictionary<string, string> files = new();
        private readonly IncrementalHash sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private FileStream? current;
        private int index = -1;
        private long left;
        private string? problem;

        public Spool(CellCompleted completed, string folder)
        {
            expected = completed.Artifacts.Where(a => a.Bytes is null).ToList();
            this.folder = folder;
            Next();
        }

        public IReadOnlyDictionary<string, string> Files => files;

        public void Write(byte[] bytes)
        {
            var rest = bytes.AsSpan();
            while (rest.Length > 0 && problem is null)
            {
                if (current is null)
                {
                    problem = $"{rest.Length} bytes more than the {expected.Sum(a => a.Length)} announced";
                    return;
                }
                int take = (int)Math.Min(left, rest.Length);
                current.Write(rest[..take]);
                sha.AppendData(rest[..take]);
                left -= take;
                rest = rest[take..];
                if (left == 0) Next();
            }
        }

        /// <summary>Closes the artifact that is full and opens the next, checking the finished one's hash.</summary>
        private void Next()
        {
            if (current is not null)
            {
                current.Dispose();
                current = null;
                var artifact = expected[index];
                var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
                if (artifact.Hash is { } claimed && claimed != hash)
                    problem ??= $"artifact '{artifact.Name}' arrived hashing to {hash}, not {claimed}";
            }
            while (++index < expected.Count)
            {
                var artifact = expected[index];
                var path = Path.Combine(folder, $"{Guid.NewGuid():N}.part");
                files[artifact.Name] = path;
                current = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                left = artifact.Length;
                if (left > 0) return;
                Next();
                return;
            }
        }

        public Exception? Complete()
        {
            if (problem is null && current is not null) problem = $"the stream ended {left} bytes short of artifact '{expected[index].Name}'";
            return problem is null ? null : new InvalidDataException(problem);
        }

        public void Delete()
        {
            Dispose();
            foreach (var file in files.Values) File.Delete(file);
        }

        public void Dispose()
        {
            current?.Dispose();
            current = null;
            sha.Dispose();
        }
    }
}
