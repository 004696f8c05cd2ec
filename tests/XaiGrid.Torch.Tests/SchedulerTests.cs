using static XaiGrid.Torch.torch.optim;
using static XaiGrid.Torch.torch.optim.lr_scheduler;

namespace XaiGrid.Torch.Tests;

/// <summary>StepLR and CosineAnnealingLR: hand-computed sequences, python3-torch's sequences, resume from a checkpoint.</summary>
public class SchedulerTests
{
    /// <summary>The lr at epochs 0..epochs, stepping the optimizer once per epoch before the scheduler, as PyTorch wants.</summary>
    private static double[] Sequence(Optimizer optimizer, LRScheduler scheduler, int epochs)
    {
        var lrs = new List<double> { scheduler.get_last_lr() };
        for (int e = 0; e < epochs; e++)
        {
            optimizer.step();
            scheduler.step();
            Assert.Equal(scheduler.get_last_lr(), optimizer.lr);
            lrs.Add(scheduler.get_last_lr());
        }
        return lrs.ToArray();
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"epoch {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Fact]
    public void StepLRHalvesEveryThreeEpochsAndTheOptimizerUsesIt()
    {
        using var p = torch.ones([1], torch.float64, requires_grad: true);
        using var optimizer = SGD([p], 0.1);
        var scheduler = StepLR(optimizer, step_size: 3, gamma: 0.5);
        var lrs = new List<double> { scheduler.get_last_lr() };
        for (int e = 0; e < 9; e++)
        {
            using (var scope = torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                p.sum().backward();
                optimizer.step();
            }
            scheduler.step();
            lrs.Add(scheduler.get_last_lr());
        }
        double[] expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125];
        Assert.Equal(expected, lrs);
        Assert.Equal(0.0125, optimizer.lr);
        // d(sum p)/dp = 1, so each epoch's single step moves p by that epoch's lr.
        Assert.Equal(1 - expected[..9].Sum(), p.item<double>(), 1e-15);
    }

    [Fact]
    public void CosineAnnealingLRFollowsTheHalfCosine()
    {
        using var p = torch.zeros([1], requires_grad: true);
        using var optimizer = SGD([p], 0.1);
        var scheduler = CosineAnnealingLR(optimizer, T_max: 4, eta_min: 0.01);
        // 0.01 + 0.045 (1 + cos(pi e / 4)): cos = 1, sqrt(1/2), 0, -sqrt(1/2), -1, then back up (the period is 2 T_max).
        double up = 0.01 + 0.045 * (1 + 0.70710678118654752), down = 0.01 + 0.045 * (1 - 0.70710678118654752);
        AssertClose([0.1, up, 0.055, down, 0.01, down, 0.055, up, 0.1], Sequence(optimizer, scheduler, 8), 1e-15);
    }

    [Fact]
    public void SequencesMatchPyTorchSchedulers()
    {
        var reference = IoTestSupport.PythonJson("""
            import json, torch
            def run(make, lr, n):
                opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
                s = make(opt)
                lrs = [s.get_last_lr()[0]]
                for _ in range(n):
                    opt.step()
                    s.step()
                    lrs.append(s.get_last_lr()[0])
                return lrs
            print(json.dumps({
                'step': run(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.3), 0.7, 12),
                'cosine': run(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.001), 0.2, 20)}))
            """);
        using var p = torch.zeros([1], requires_grad: true);
        using (var optimizer = SGD([p], 0.7))
        {
            // StepLR multiplies as PyTorch's step() does, so the rounding is the same too.
            Assert.Equal(IoTestSupport.Values(reference.GetProperty("step")),
                Sequence(optimizer, StepLR(optimizer, step_size: 2, gamma: 0.3), 12));
        }
        using (var optimizer = SGD([p], 0.2))
        {
            // PyTorch's step() uses a recursive form of the same cosine; they agree to rounding.
            AssertClose(IoTestSupport.Values(reference.GetProperty("cosine")),
                Sequence(optimizer, CosineAnnealingLR(optimizer, T_max: 7, eta_min: 0.001), 20), 1e-13);
        }
    }

    [Fact]
    public void ResumedSchedulersContinueTheSameSequence()
    {
        foreach (var make in new Func<Optimizer, LRScheduler>[]
                 {
                     o => StepLR(o, step_size: 2, gamma: 0.3),
                     o => CosineAnnealingLR(o, T_max: 6, eta_min: 0.02),
                 })
        {
            using var p = torch.zeros([1], requires_grad: true);
            using var straightOptimizer = SGD([p], 0.4);
            var straight = Sequence(straightOptimizer, make(straightOptimizer), 9);

            using var firstOptimizer = SGD([p], 0.4);
            var first = make(firstOptimizer);
            Sequence(firstOptimizer, first, 4);
            var schedulerState = first.state_dict();
            using var scope = torch.NewDisposeScope();
            var optimizerState = firstOptimizer.state_dict();

            using var resumedOptimizer = SGD([p], 0.4);
            var resumed = make(resumedOptimizer);
            resumedOptimizer.load_state_dict(optimizerState);
            resumed.load_state_dict(schedulerState);
            Assert.Equal(4, resumed.last_epoch);
            Assert.Equal(straight[4..], Sequence(resumedOptimizer, resumed, 5));
        }
    }

    [Fact]
    public void InvalidSettingsAreRejected()
    {
        using var p = torch.zeros([1], requires_grad: true);
        using var optimizer = SGD([p], 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => StepLR(optimizer, step_size: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CosineAnnealingLR(optimizer, T_max: 0));
        var scheduler = StepLR(optimizer, 2);
        var e = Assert.Throws<TorchException>(() => scheduler.load_state_dict(new Dictionary<string, double> { ["last_epoch"] = 3, ["gamma"] = 0.1 }));
        Assert.Contains("missing keys [base_lr, last_lr], unexpected keys [gamma]", e.Message);
    }
}
