using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace XaiGrid.Report.Tests;

/// <summary>
/// The HTML report opened in headless Chromium (Debian's chromium): a copy of the page with a checker script first in
/// its head records window errors (including images that fail to load) and console errors and warnings, and on load
/// writes them with the count of images whose naturalWidth is 0 into the DOM, which Chromium then dumps.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class HtmlInBrowserTests(StoreFixture store)
{
    private const string Checker = """
        <script>
        window.__errors = [];
        window.addEventListener('error', function (e) {
          window.__errors.push(e.message || ('cannot load ' + (e.target && (e.target.currentSrc || e.target.src || e.target.tagName))));
        }, true);
        ['error', 'warn'].forEach(function (level) {
          var original = console[level];
          console[level] = function () { window.__errors.push(level + ': ' + Array.prototype.join.call(arguments, ' ')); original.apply(console, arguments); };
        });
        window.addEventListener('load', function () {
          var images = Array.prototype.slice.call(document.images);
          var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
          var pre = document.createElement('pre');
          pre.id = 'xaigrid-check';
          pre.textContent = JSON.stringify({ images: images.length, broken: broken, errors: window.__errors });
          document.body.appendChild(pre);
        });
        </script>
        """;

    [Fact]
    public void TheHtmlLoadsWithEveryImageAndNoConsoleErrors()
    {
        var output = store.NewOutput();
        var report = ReportGenerator.Generate(store.Db, output, ReportFormats.Html);
        var html = File.ReadAllText(Path.Combine(output, ReportGenerator.HtmlFile));

        // Self-contained: no script of its own, and every src or href is a data URI or an anchor in the page.
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotMatch(@"(src|href)=""(?!data:|#)", html);

        var page = Path.Combine(output, "checked.html");
        File.WriteAllText(page, html.Replace("<head>\n", "<head>\n" + Checker + "\n"));
        var (dom, console) = Chromium.DumpDom(page, Path.Combine(output, "chromium-profile"));

        var match = Regex.Match(dom, "<pre id=\"xaigrid-check\">(.*?)</pre>", RegexOptions.Singleline);
        Assert.True(match.Success, "the checker did not run: the page never finished loading");
        var check = JsonNode.Parse(WebUtility.HtmlDecode(match.Groups[1].Value))!;
        Assert.Equal(report.Figures.Count(f => f.File is not null), check["images"]!.GetValue<int>());
        Assert.True(check["images"]!.GetValue<int>() > 0);
        Assert.Equal(0, check["broken"]!.GetValue<int>());
        Assert.Empty(check["errors"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Empty(console);
    }
}

/// <summary>Debian's chromium, headless, with everything that would reach the network or a user profile turned off.</summary>
internal static class Chromium
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static string Executable()
    {
        foreach (var name in new[] { "chromium", "chromium-browser" })
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        throw new FileNotFoundException("chromium is not installed: the HTML report test needs Debian's chromium (apt-get install -y chromium)");
    }

    /// <summary>The DOM after load (scripts run in virtual time, so the load event has fired), and the console lines Chromium logged.</summary>
    public static (string Dom, List<string> Console) DumpDom(string page, string profile)
    {
        var start = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                     "--virtual-time-budget=10000", "--dump-dom", new Uri(page).AbsoluteUri,
                 })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish loading {page} within {Limit}");
        }
        var console = stderr.Result.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        return (stdout.Result, console);
    }
}
