using System.Runtime.CompilerServices;
using F = XaiGrid.Torch.torch.nn.functional;
using static XaiGrid.Torch.torch.nn;

namespace XaiGrid.Torch.Tests;

/// <summary>nn.functional and the tensor API against values worked out by hand on small inputs.</summary>
public class FunctionalTests
{
    private static Tensor T(double[] values, params long[] shape) => torch.tensor(values.Select(v => (float)v).ToArray(), shape);

    // 3x3 input used by several cases:
    //   1 2 3
    //   4 5 6
    //   7 8 9
    private static Tensor Nine() => T([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3);

    // ---- convolution ----

    [Fact]
    public void Conv1dStridePaddingBias()
    {
        using var scope = torch.NewDisposeScope();
        // x = 1 2 3 4 5, padded by 1: 0 1 2 3 4 5 0; kernel (1, 0, -1); windows start at 0, 2, 4:
        //   0 - 2 = -2, 2 - 4 = -2, 4 - 0 = 4; plus bias 0.5.
        var y = F.conv1d(T([1, 2, 3, 4, 5], 1, 1, 5), T([1, 0, -1], 1, 1, 3), T([0.5], 1), stride: 2, padding: 1);
        TensorAssert.Close([1, 1, 3], [-1.5, -1.5, 4.5], y);
    }

    [Fact]
    public void Conv1dTwoChannelsDilation()
    {
        using var scope = torch.NewDisposeScope();
        // x0 = 1 2 3 4 5, x1 = 0 1 0 2 1; w0 = (1, 2), w1 = (3, -1); dilation 2, so y[t] uses t and t + 2:
        //   t=0: 1*1 + 2*3 + 3*0 - 1*0 = 7
        //   t=1: 1*2 + 2*4 + 3*1 - 1*2 = 11
        //   t=2: 1*3 + 2*5 + 3*0 - 1*1 = 12
        var y = F.conv1d(T([1, 2, 3, 4, 5, 0, 1, 0, 2, 1], 1, 2, 5), T([1, 2, 3, -1], 1, 2, 2), dilation: 2);
        TensorAssert.Close([1, 1, 3], [7, 11, 12], y);
    }

    [Fact]
    public void Conv2dValidWithBias()
    {
        using var scope = torch.NewDisposeScope();
        // kernel 1 2 / 3 4 over each 2x2 window of Nine, plus 1:
        //   1+4+12+20 = 37, 2+6+15+24 = 47, 4+10+21+32 = 67, 5+12+24+36 = 77
        var y = F.conv2d(Nine(), T([1, 2, 3, 4], 1, 1, 2, 2), T([1], 1));
        TensorAssert.Close([1, 1, 2, 2], [38, 48, 68, 78], y);
    }

    [Fact]
    public void Conv2dStridePadding()
    {
        using var scope = torch.NewDisposeScope();
        // Nine padded by 1 is 5x5; with stride 2 the 2x2 windows start at (0,0), (0,2), (2,0), (2,2):
        //   (0 0 / 0 1) -> 4*1 = 4;  (0 0 / 2 3) -> 3*2 + 4*3 = 18;
        //   (0 4 / 0 7) -> 2*4 + 4*7 = 36;  (5 6 / 8 9) -> 5 + 12 + 24 + 36 = 77
        var y = F.conv2d(Nine(), T([1, 2, 3, 4], 1, 1, 2, 2), stride: [2], padding: [1]);
        TensorAssert.Close([1, 1, 2, 2], [4, 18, 36, 77], y);
    }

    [Fact]
    public void Conv2dDilationAndPerAxisStride()
    {
        using var scope = torch.NewDisposeScope();
        // Dilation 2 spreads the 2x2 kernel over the corners of Nine: 1*1 + 2*3 + 3*7 + 4*9 = 64.
        var dilated = F.conv2d(Nine(), T([1, 2, 3, 4], 1, 1, 2, 2), dilation: [2]);
        TensorAssert.Close([1, 1, 1, 1], [64], dilated);
        // A 1x1 kernel of 2 with stride (2, 1) keeps rows 0 and 2: 2, 4, 6, 14, 16, 18.
        var strided = F.conv2d(Nine(), T([2], 1, 1, 1, 1), stride: [2, 1]);
        TensorAssert.Close([1, 1, 2, 3], [2, 4, 6, 14, 16, 18], strided);
    }

    [Fact]
    public void Conv2dGroupsKeepChannelsApart()
    {
        using var scope = torch.NewDisposeScope();
        var x = T([1, 2, 3, 4, 5, 6, 7, 8], 1, 2, 2, 2);
        // groups 2, 1x1 kernels 10 and -1: channel 0 times 10, channel 1 negated.
        var grouped = F.conv2d(x, T([10, -1], 2, 1, 1, 1), groups: 2);
        TensorAssert.Close([1, 2, 2, 2], [10, 20, 30, 40, -5, -6, -7, -8], grouped);
        // Without groups a (1, 2) kernel of ones sums the channels: 1+5, 2+6, 3+7, 4+8.
        var summed = F.conv2d(x, T([1, 1], 1, 2, 1, 1));
        TensorAssert.Close([1, 1, 2, 2], [6, 8, 10, 12], summed);
    }

    // ---- pooling ----

    // 4x4 input for 2-d pooling:
    //    1  5  2  0
    //    3  4  8  7
    //    9  6 -1  2
    //    0 10  3  3.5
    private static Tensor Sixteen() => T([1, 5, 2, 0, 3, 4, 8, 7, 9, 6, -1, 2, 0, 10, 3, 3.5], 1, 1, 4, 4);

    // 3 1 4 1 5 9 2 6 for 1-d pooling
    private static Tensor Eight() => T([3, 1, 4, 1, 5, 9, 2, 6], 1, 1, 8);

    [Fact]
    public void MaxPool2dWithIndices()
    {
        using var scope = torch.NewDisposeScope();
        // 2x2 windows: max 5 at flat index 1; 8 at (1,2) = 6; 10 at (3,1) = 13; 3.5 at (3,3) = 15.
        var (y, i) = F.max_pool2d_with_indices(Sixteen(), [2]);
        TensorAssert.Close([1, 1, 2, 2], [5, 8, 10, 3.5], y);
        TensorAssert.Longs([1, 1, 2, 2], [1, 6, 13, 15], i);
        TensorAssert.Close([5, 8, 10, 3.5], F.max_pool2d(Sixteen(), [2, 2], stride: [2, 2]));
    }

    [Fact]
    public void MaxPool1dPaddingAndCeilMode()
    {
        using var scope = torch.NewDisposeScope();
        // Padded by -inf: -inf 3 1 4 1 5 9 2 6 -inf; kernel 3 stride 2 windows start at 0, 2, 4, 6:
        //   (-inf 3 1) -> 3 at 0; (1 4 1) -> 4 at 2; (1 5 9) -> 9 at 5; (9 2 6) -> 9 at 5
        var (y, i) = F.max_pool1d_with_indices(Eight(), 3, stride: 2, padding: 1);
        TensorAssert.Close([1, 1, 4], [3, 4, 9, 9], y);
        TensorAssert.Longs([1, 1, 4], [0, 2, 5, 5], i);
        // 3 1 4 1 5 with kernel 2: (3 1) (4 1) and, with ceil_mode, the partial window (5).
        var ceil = F.max_pool1d(T([3, 1, 4, 1, 5], 1, 1, 5), 2, ceil_mode: true);
        TensorAssert.Close([1, 1, 3], [3, 4, 5], ceil);
        var floor = F.max_pool1d(T([3, 1, 4, 1, 5], 1, 1, 5), 2);
        TensorAssert.Close([1, 1, 2], [3, 4], floor);
    }

    [Fact]
    public void AvgPool2d()
    {
        using var scope = torch.NewDisposeScope();
        // (1+5+3+4)/4, (2+0+8+7)/4, (9+6+0+10)/4, (-1+2+3+3.5)/4
        TensorAssert.Close([1, 1, 2, 2], [3.25, 4.25, 6.25, 1.875], F.avg_pool2d(Sixteen(), [2]));
        // 2x4 windows with stride (2, 1): one window per pair of rows.
        //   rows 0-1: (1+5+2+0+3+4+8+7)/8 = 30/8; rows 2-3: (9+6-1+2+0+10+3+3.5)/8 = 32.5/8
        TensorAssert.Close([1, 1, 2, 1], [3.75, 4.0625], F.avg_pool2d(Sixteen(), [2, 4], stride: [2, 1]));
    }

    [Fact]
    public void AvgPool1dCountIncludePad()
    {
        using var scope = torch.NewDisposeScope();
        // Padded by zeros: 0 3 1 4 1 5 9 2 6 0; kernel 3 stride 2: (0 3 1) (1 4 1) (1 5 9) (9 2 6)
        TensorAssert.Close([1, 1, 4], [4.0 / 3, 2, 5, 17.0 / 3], F.avg_pool1d(Eight(), 3, stride: 2, padding: 1));
        // Without the pad in the count, the first window averages its 2 real elements: 4/2.
        TensorAssert.Close([2, 2, 5, 17.0 / 3], F.avg_pool1d(Eight(), 3, stride: 2, padding: 1, count_include_pad: false));
    }

    [Fact]
    public void AdaptiveAvgPool()
    {
        using var scope = torch.NewDisposeScope();
        // 3 -> 2: windows [floor(3i/2), ceil(3(i+1)/2)) = [0, 2) and [1, 3), overlapping on Nine:
        //   (1+2+4+5)/4 = 3, (2+3+5+6)/4 = 4, (4+5+7+8)/4 = 6, (5+6+8+9)/4 = 7
        TensorAssert.Close([1, 1, 2, 2], [3, 4, 6, 7], F.adaptive_avg_pool2d(Nine(), [2]));
        // Global average pooling: 45 / 9.
        TensorAssert.Close([1, 1, 1, 1], [5], F.adaptive_avg_pool2d(Nine(), [1, 1]));
        // 8 -> 3 in 1-d: [0, 3) [2, 6) [5, 8): (3+1+4)/3, (4+1+5+9)/4, (9+2+6)/3
        TensorAssert.Close([1, 1, 3], [8.0 / 3, 19.0 / 4, 17.0 / 3], F.adaptive_avg_pool1d(Eight(), 3));
    }

    // ---- linear ----

    [Fact]
    public void Linear()
    {
        using var scope = torch.NewDisposeScope();
        // x = (1, 2, 3); rows of w: (1, 0, -1) -> 1 - 3 + 0.5 = -1.5; (2, 1, 0.5) -> 2 + 2 + 1.5 - 1 = 4.5
        var x = T([1, 2, 3], 1, 3);
        var w = T([1, 0, -1, 2, 1, 0.5], 2, 3);
        TensorAssert.Close([1, 2], [-1.5, 4.5], F.linear(x, w, T([0.5, -1], 2)));
        TensorAssert.Close([1, 2], [-2, 5.5], F.linear(x, w));
    }

    // ---- interpolation ----

    [Fact]
    public void InterpolateNearest()
    {
        using var scope = torch.NewDisposeScope();
        // 3 -> 7: source index floor(i * 3/7) for i = 0..6 is 0 0 0 1 1 2 2.
        TensorAssert.Close([1, 1, 7], [1, 1, 1, 2, 2, 3, 3], F.interpolate(T([1, 2, 3], 1, 1, 3), [7]));
        // 2x2 -> 3x3: floor(i * 2/3) for i = 0..2 is 0 0 1 on each axis.
        TensorAssert.Close([1, 1, 3, 3], [1, 1, 2, 1, 1, 2, 3, 3, 4],
            F.interpolate(T([1, 2, 3, 4], 1, 1, 2, 2), [3, 3]));
        // 4 -> 2 picks indices 0 and 2.
        TensorAssert.Close([1, 1, 2], [10, 30], F.interpolate(T([10, 20, 30, 40], 1, 1, 4), [2]));
    }

    [Fact]
    public void InterpolateLinear()
    {
        using var scope = torch.NewDisposeScope();
        var x = T([0, 10, 20, 40], 1, 1, 4);
        // align_corners=false, 4 -> 8: source (i + 0.5) * 0.5 - 0.5, clamped to [0, 3]:
        //   0 (clamped), 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3 (clamped)
        //   -> 0, 2.5, 7.5, 12.5, 17.5, 20 + 0.25*20 = 25, 20 + 0.75*20 = 35, 40
        TensorAssert.Close([1, 1, 8], [0, 2.5, 7.5, 12.5, 17.5, 25, 35, 40],
            F.interpolate(x, [8], InterpolationMode.Linear, align_corners: false));
        // align_corners=true, 4 -> 7: source i * 3/6 = 0, 0.5, 1, 1.5, 2, 2.5, 3
        TensorAssert.Close([1, 1, 7], [0, 5, 10, 15, 20, 30, 40],
            F.interpolate(x, [7], InterpolationMode.Linear, align_corners: true));
    }

    [Fact]
    public void InterpolateBilinear()
    {
        using var scope = torch.NewDisposeScope();
        // Corners 1 2 / 3 8: the bilinear surface is f(r, c) = 1 + c + 2r + 4rc.
        var x = T([1, 2, 3, 8], 1, 1, 2, 2);
        // align_corners=false, 2 -> 4: source coordinates 0, 0.25, 0.75, 1 on each axis.
        //   r=0:    1 + c           -> 1, 1.25, 1.75, 2
        //   r=0.25: 1.5 + 2c        -> 1.5, 2, 3, 3.5
        //   r=0.75: 2.5 + 4c        -> 2.5, 3.5, 5.5, 6.5
        //   r=1:    3 + 5c          -> 3, 4.25, 6.75, 8
        TensorAssert.Close([1, 1, 4, 4], [1, 1.25, 1.75, 2, 1.5, 2, 3, 3.5, 2.5, 3.5, 5.5, 6.5, 3, 4.25, 6.75, 8],
            F.interpolate(x, [4, 4], InterpolationMode.Bilinear, align_corners: false));
        // align_corners=true, 2 -> 3: source coordinates 0, 0.5, 1.
        //   r=0: 1, 1.5, 2;  r=0.5: 2 + 3c -> 2, 3.5, 5;  r=1: 3, 5.5, 8
        TensorAssert.Close([1, 1, 3, 3], [1, 1.5, 2, 2, 3.5, 5, 3, 5.5, 8],
            F.interpolate(x, [3, 3], InterpolationMode.Bilinear, align_corners: true));
    }

    [Fact]
    public void InterpolateRejectsMismatchedModeAndRank()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<TorchException>(() => F.interpolate(Nine(), [4], InterpolationMode.Linear));
        Assert.Contains("linear interpolation takes a 3-d input", e.Message);
        e = Assert.Throws<TorchException>(() => F.interpolate(Nine(), [4, 4], align_corners: true));
        Assert.Contains("align_corners only goes with linear or bilinear", e.Message);
    }

    // ---- padding ----

    [Fact]
    public void PadModes()
    {
        using var scope = torch.NewDisposeScope();
        var x = T([1, 2, 3], 1, 1, 3);
        TensorAssert.Close([1, 1, 6], [9, 1, 2, 3, 9, 9], F.pad(x, [1, 2], value: 9));
        // reflect mirrors without repeating the edge: 3 2 | 1 2 3 | 2
        TensorAssert.Close([1, 1, 6], [3, 2, 1, 2, 3, 2], F.pad(x, [2, 1], PaddingMode.Reflect));
        TensorAssert.Close([1, 1, 6], [1, 1, 2, 3, 3, 3], F.pad(x, [1, 2], PaddingMode.Replicate));
        // 2-d: pad (left 1, right 0, top 0, bottom 1) on 1 2 / 3 4, replicate -> 1 1 2 / 3 3 4 / 3 3 4
        TensorAssert.Close([1, 1, 3, 3], [1, 1, 2, 3, 3, 4, 3, 3, 4],
            F.pad(T([1, 2, 3, 4], 1, 1, 2, 2), [1, 0, 0, 1], PaddingMode.Replicate));
    }

    // ---- shapes and views ----

    [Fact]
    public void ViewsReshapeAndPermute()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(24).view(2, 3, 4);
        // x[j, k, i] = 12j + 4k + i; after permute(2, 0, 1), y[i, j, k] = x[j, k, i].
        var y = x.permute(2, 0, 1);
        Assert.Equal([4L, 2, 3], y.shape);
        Assert.False(y.is_contiguous());
        var expected = new List<long>();
        for (long i = 0; i < 4; i++)
        for (long j = 0; j < 2; j++)
        for (long k = 0; k < 3; k++)
            expected.Add(12 * j + 4 * k + i);
        Assert.Equal(expected, y.contiguous().data<long>());
        Assert.Equal(expected, y.reshape(24).data<long>());
        Assert.Throws<TorchException>(() => y.view(24));

        var m = torch.arange(6).view(2, 3);
        Assert.Equal([0L, 3, 1, 4, 2, 5], m.t().contiguous().data<long>());
        Assert.Equal([3L, 2], m.transpose(0, 1).shape);
        Assert.Equal([2L, 12], x.flatten(1).shape);
        Assert.Equal([24L], x.flatten().shape);
        Assert.Equal([2L, 1, 3], m.unsqueeze(1).shape);
        Assert.Equal([2L, 3, 1], m.unsqueeze(-1).shape);
        Assert.Equal([2L, 3], m.unsqueeze(0).unsqueeze(2).squeeze().shape);
        Assert.Equal([1L, 2, 3], m.unsqueeze(0).unsqueeze(2).squeeze(2).shape);
        Assert.Equal(4, x.size(-1));
        Assert.Equal(3, x.size(1));
        Assert.Equal(3, x.dim());
        Assert.Equal(24, x.numel());
    }

    [Fact]
    public void ExpandRepeatFlipRoll()
    {
        using var scope = torch.NewDisposeScope();
        var col = torch.tensor(new long[] { 1, 2, 3 }, [3, 1]);
        Assert.Equal([1L, 1, 2, 2, 3, 3], col.expand(3, 2).contiguous().data<long>());
        Assert.Equal([1L, 2, 3, 1, 2, 3], col.repeat(2, 1).contiguous().data<long>());
        var m = torch.arange(6).view(2, 3);
        Assert.Equal([5L, 4, 3, 2, 1, 0], m.flip(0, 1).contiguous().data<long>());
        Assert.Equal([2L, 0, 1, 5, 3, 4], m.roll([1], [1]).contiguous().data<long>());
    }

    [Fact]
    public void IndexingOps()
    {
        using var scope = torch.NewDisposeScope();
        var m = torch.arange(12).view(3, 4);   // rows 0 1 2 3 / 4 5 6 7 / 8 9 10 11
        Assert.Equal([5L, 6], m.narrow(1, 1, 2)[1].data<long>());
        Assert.Equal([2L, 6, 10], m.select(1, 2).data<long>());
        Assert.Equal([8L, 9, 10, 11, 0, 1, 2, 3], m.index_select(0, torch.tensor(new long[] { 2, 0 })).data<long>());
        Assert.Equal([3L, 0, 5, 5, 10, 9], m.gather(1, torch.tensor(new long[] { 3, 0, 1, 1, 2, 1 }, [3, 2])).data<long>());
        var mask = torch.tensor(new[] { true, false, false, true }, [1, 4]);
        Assert.Equal([-1L, 1, 2, -1, -1, 5, 6, -1, -1, 9, 10, -1], m.masked_fill(mask, -1).data<long>());
        Assert.Equal([0L, 3, 4, 7, 8, 11], m.masked_select(mask).data<long>());
        Assert.Equal([0L, 9, 2], torch.where(torch.tensor(new[] { true, false, true }), torch.arange(3), torch.full([3], 9, torch.int64)).data<long>());
        var scattered = torch.zeros([2, 3], torch.int64).scatter(1, torch.tensor(new long[] { 2, 0 }, [2, 1]), torch.tensor(new long[] { 7, 8 }, [2, 1]));
        Assert.Equal([0L, 0, 7, 8, 0, 0], scattered.data<long>());
    }

    [Fact]
    public void CatAndStack()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.arange(4).view(2, 2);
        var b = torch.arange(4, 6).view(1, 2);
        Assert.Equal([0L, 1, 2, 3, 4, 5], torch.cat([a, b]).data<long>());
        Assert.Equal([3L, 2], torch.cat([a, b]).shape);
        var s = torch.stack([a, a.neg()], 1);
        Assert.Equal([2L, 2, 2], s.shape);
        Assert.Equal([0L, 1, 0, -1, 2, 3, -2, -3], s.data<long>());
    }

    [Fact]
    public void SplitAndChunkSizes()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(7);
        Assert.Equal([3L, 3, 1], x.split(3).Select(p => p.size(0)));
        Assert.Equal([6L], x.split(3)[2].data<long>());
        Assert.Equal([1L, 4, 2], x.split([1, 4, 2]).Select(p => p.size(0)));
        Assert.Equal([1L, 2, 3, 4], x.split([1, 4, 2])[1].data<long>());
        Assert.Equal([3L, 3, 1], x.chunk(3).Select(p => p.size(0)));
        // As torch.chunk: 6 in 4 chunks is ceil(6/4) = 2 per chunk, so only 3 chunks.
        Assert.Equal([2L, 2, 2], torch.arange(6).chunk(4).Select(p => p.size(0)));
        Assert.Equal([2L, 2, 2, 1], torch.zeros([3, 7]).chunk(4, -1).Select(p => p.size(1)));
        var e = Assert.Throws<TorchException>(() => x.split([1, 4]));
        Assert.Contains("do not add up to 7", e.Message);
        e = Assert.Throws<TorchException>(() => x.split(2, dim: 1));
        Assert.Contains("dim 1 is out of range for a tensor of shape [7]", e.Message);
    }

    // ---- sorting and reductions ----

    [Fact]
    public void TopkAndSort()
    {
        using var scope = torch.NewDisposeScope();
        var x = T([3, 1, 4, 1.5, 5, 9, 2, 6], 8);
        var (top, ti) = x.topk(3);
        TensorAssert.Close([3], [9, 6, 5], top);
        TensorAssert.Longs([3], [5, 7, 4], ti);
        var (low, li) = x.topk(2, largest: false);
        TensorAssert.Close([1, 1.5], low);
        TensorAssert.Longs([2], [1, 3], li);
        var (sorted, si) = x.sort();
        TensorAssert.Close([1, 1.5, 2, 3, 4, 5, 6, 9], sorted);
        TensorAssert.Longs([8], [1, 3, 6, 0, 2, 4, 7, 5], si);
        var (desc, di) = x.sort(descending: true);
        TensorAssert.Close([9, 6, 5, 4, 3, 2, 1.5, 1], desc);
        TensorAssert.Longs([8], [5, 7, 4, 2, 0, 6, 3, 1], di);
        TensorAssert.Longs([8], [1, 3, 6, 0, 2, 4, 7, 5], x.argsort());
        // Along dim 0 of 2 x 3: columns (3, 1) (4, 1.5) (5, 9) sorted ascending.
        TensorAssert.Close([1, 1.5, 5, 3, 4, 9], T([3, 4, 5, 1, 1.5, 9], 2, 3).sort(0).values);
    }

    [Fact]
    public void Cumsum()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Longs([4], [1, 3, 6, 10], torch.tensor(new long[] { 1, 2, 3, 4 }).cumsum(0));
        // rows 1 2 / 3 4: down the columns 1 2 / 4 6, along the rows 1 3 / 3 7
        var m = T([1, 2, 3, 4], 2, 2);
        TensorAssert.Close([1, 2, 4, 6], m.cumsum(0));
        TensorAssert.Close([1, 3, 3, 7], m.cumsum(1));
    }

    [Fact]
    public void StdAndVar()
    {
        using var scope = torch.NewDisposeScope();
        // 2 4 4 4 5 5 7 9: mean 5, squared deviations 9 1 1 1 0 0 4 16 sum to 32.
        var x = torch.tensor(new[] { 2.0, 4, 4, 4, 5, 5, 7, 9 });
        TensorAssert.Close([2.0], x.std(unbiased: false), 1e-12);
        TensorAssert.Close([Math.Sqrt(32.0 / 7)], x.std(), 1e-12);
        TensorAssert.Close([4.0], x.var(unbiased: false), 1e-12);
        TensorAssert.Close([32.0 / 7], x.var(), 1e-12);
        // Per row of 2 4 4 4 / 5 5 7 9: means 3.5 and 6.5, squared deviations sum 3 and 11.
        var rows = x.view(2, 4);
        TensorAssert.Close([2], [Math.Sqrt(3.0 / 3), Math.Sqrt(11.0 / 3)], rows.std(1), 1e-12);
        TensorAssert.Close([2, 1], [3.0 / 4, 11.0 / 4], rows.var(1, unbiased: false, keepdim: true), 1e-12);
    }

    [Fact]
    public void ArgmaxMaxAndSums()
    {
        using var scope = torch.NewDisposeScope();
        var m = T([1, 5, 2, 7, 0, 3], 2, 3);
        Assert.Equal(3, m.argmax().item<long>());
        Assert.Equal(4, m.argmin().item<long>());
        TensorAssert.Longs([2], [1, 0], m.argmax(1));
        TensorAssert.Longs([1, 3], [1, 0, 1], m.argmax(0, keepdim: true));
        var (v, i) = m.max(1);
        TensorAssert.Close([5, 7], v);
        TensorAssert.Longs([2], [1, 0], i);
        var (mv, mi) = m.min(0);
        TensorAssert.Close([1, 0, 2], mv);
        TensorAssert.Longs([3], [0, 1, 0], mi);
        Assert.Equal(7f, m.max().item<float>());
        Assert.Equal(0f, m.min().item<float>());
        TensorAssert.Close([3], [8, 5, 5], m.sum(0));
        TensorAssert.Close([2, 1], [8.0 / 3, 10.0 / 3], m.mean(1, keepdim: true));
        TensorAssert.Close([], [7], m.amax([0, 1], keepdim: false));
        TensorAssert.Close([2], [5, 7], m.amax(1));
        TensorAssert.Close([1, 3], [1, 0, 2], m.amin([0], keepdim: true));
        Assert.Equal(10, m[0].prod().item<double>());
    }

    [Fact]
    public void ItemConvertsAndRejectsManyElements()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Equal(21L, torch.arange(7).sum().item<long>());
        Assert.Equal(21, torch.arange(7).sum().item<int>());
        Assert.Equal(2.5, torch.tensor(new[] { 2.5f }).item<double>());
        Assert.True(torch.tensor(new[] { true }).item<bool>());
        var e = Assert.Throws<TorchException>(() => torch.zeros([2]).item<float>());
        Assert.Contains("2 elements", e.Message);
    }

    // ---- data in and out ----

    [Fact]
    public void DataRoundTripsKeepDtypeAndValues()
    {
        using var scope = torch.NewDisposeScope();
        RoundTrip(new[] { 1.5f, -2.25f, float.MaxValue, float.Epsilon }, torch.float32);
        RoundTrip(new[] { Math.PI, -1e300, double.Epsilon, double.NegativeInfinity }, torch.float64);
        RoundTrip(new[] { long.MinValue, -1L, (1L << 53) + 1, long.MaxValue }, torch.int64);
        RoundTrip(new byte[] { 0, 1, 128, 255 }, torch.uint8);
        RoundTrip(new[] { true, false, true, true }, torch.@bool);

        var m = torch.tensor(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal([2L, 3], m.shape);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], m.data<double>());

        var e = Assert.Throws<TorchException>(() => m.data<float>());
        Assert.Contains("needs a Float32 tensor, this one is Float64", e.Message);
        e = Assert.Throws<TorchException>(() => torch.tensor(new[] { 1f, 2f, 3f }, [2, 2]));
        Assert.Contains("holds 4 elements but 3 were given", e.Message);
    }

    private static void RoundTrip<T>(T[] values, ScalarType dtype) where T : unmanaged
    {
        var t = torch.tensor(values, [2, 2]);
        Assert.Equal(dtype, t.dtype);
        Assert.Equal([2L, 2], t.shape);
        Assert.Equal(values, t.data<T>());
        // Through a non-contiguous view: data<T>() copies in logical (C) order.
        var transposed = t.t();
        Assert.Equal(new[] { values[0], values[2], values[1], values[3] }, transposed.data<T>());
    }

    [Fact]
    public void IntegerScalarArithmeticKeepsIntegerDtypes()
    {
        using var scope = torch.NewDisposeScope();
        // 2^53 + 1 is not a double: only int64 arithmetic gets these right.
        const long big = (1L << 53) + 1;
        var x = torch.tensor(new[] { big, -3L });
        TensorAssert.Longs([2], [big + 2, -1], x + 2);
        TensorAssert.Longs([2], [3 * big, -9], x * 3);
        TensorAssert.Longs([2], [2 - big, 5], 2 - x);
        TensorAssert.Longs([2], [big + 1, -2], x.clone().add_(1));
        TensorAssert.Longs([2], [big % 5, 2], x.remainder(5));
        TensorAssert.Longs([2], [9, 16], torch.tensor(new[] { 3L, -4L }).pow(2));
        TensorAssert.Longs([2], [5, 0], x.clamp(0, 5));
        TensorAssert.Longs([2], [big, -2], x.clamp_min(-2));
        // A fractional scalar or true division gives the default float dtype, as in PyTorch.
        var small = torch.tensor(new long[] { 1, 2, 3 });
        Assert.Equal(torch.float32, (small + 0.5).dtype);
        TensorAssert.Close([1.5, 2.5, 3.5], small + 0.5);
        Assert.Equal(torch.float32, (small / 2).dtype);
        TensorAssert.Close([1, 2, 2.5], small.clamp(max: 2.5));
        TensorAssert.Close([0.5, 1, 1.5], small / 2);
        TensorAssert.Close([6, 3, 2], 6 / small);
        // uint8 stays uint8 and wraps, as in PyTorch.
        var bytes = torch.tensor(new byte[] { 250, 3 });
        var wrapped = bytes + 10;
        Assert.Equal(torch.uint8, wrapped.dtype);
        Assert.Equal([(byte)4, (byte)13], wrapped.data<byte>());
    }

    [Fact]
    public void ArangeInfersDtypeLikePyTorch()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Longs([4], [2, 4, 6, 8], torch.arange(2, 10, 2));
        var f = torch.arange(0, 1, 0.25);
        Assert.Equal(torch.float32, f.dtype);
        TensorAssert.Close([4], [0, 0.25, 0.5, 0.75], f);
        TensorAssert.Close([3], [0, 1, 2], torch.arange(3, torch.float64));
    }

    [Fact]
    public void DisposedTensorsAndGeneratorsAreRejectedAsArguments()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.ones([2]);
        var b = torch.ones([2]);
        b.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.add(b));
        Assert.Throws<ObjectDisposedException>(() => torch.cat([a, b]));
        Assert.Throws<ObjectDisposedException>(() => F.linear(a.view(1, 2), a.view(1, 2), b));
        Assert.Throws<ObjectDisposedException>(() => a.sum().backward(b));
        var g = new torch.Generator(1);
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => torch.rand([2], g));
    }

    // ---- dispose scopes ----

    [Fact]
    public void DisposeScopeFreesWhatItCreated()
    {
        var outside = torch.ones([2]);
        Tensor inner, kept;
        using (var scope = torch.NewDisposeScope())
        {
            inner = outside + 1;
            kept = (outside * 3).MoveToOuterDisposeScope();
            Assert.Equal(1, scope.Count);
            Assert.False(inner.IsDisposed);
        }
        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.False(outside.IsDisposed);
        Assert.Equal([3f, 3f], kept.data<float>());
        kept.Dispose();
        outside.Dispose();
        Assert.True(kept.IsDisposed);
    }

    [Fact]
    public void NestedScopesMoveOneLevelOut()
    {
        Tensor a, moved, detached;
        using (var outer = torch.NewDisposeScope())
        {
            a = torch.zeros([1]);
            Tensor inner;
            using (var middle = torch.NewDisposeScope())
            {
                inner = torch.zeros([1]);
                moved = middle.MoveToOuter(torch.ones([1]));
                detached = torch.ones([1]).DetachFromDisposeScope();
                Assert.Equal(1, middle.Count);
            }
            Assert.True(inner.IsDisposed);
            Assert.False(moved.IsDisposed);
            Assert.Equal(2, outer.Count);
            // Tensors made after the inner scope closed belong to the outer one again.
            var later = torch.zeros([1]);
            Assert.Equal(3, outer.Count);
            Assert.False(later.IsDisposed);
        }
        Assert.True(a.IsDisposed);
        Assert.True(moved.IsDisposed);
        Assert.False(detached.IsDisposed);
        detached.Dispose();
    }

    [Fact]
    public void ClosingAnOuterScopeFirstLeavesNoDeadScopeCurrent()
    {
        var outer = torch.NewDisposeScope();
        var inner = torch.NewDisposeScope();
        var first = torch.zeros([1]);
        outer.Dispose();
        Assert.False(first.IsDisposed);
        inner.Dispose();
        Assert.True(first.IsDisposed);
        // Both scopes are closed, so a tensor made now belongs to no scope: nothing keeps it alive but its owner.
        var unowned = UnownedTensor();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(unowned.IsAlive);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference UnownedTensor() => new(torch.zeros([1]));

    // ---- random draws ----

    [Fact]
    public void SameSeedSameDrawsDifferentSeedDifferentDraws()
    {
        using var scope = torch.NewDisposeScope();
        double[][] Draws(ulong seed)
        {
            using var g = new torch.Generator(seed);
            Assert.Equal(seed, g.initial_seed());
            var p = torch.full([20], 0.5);
            return
            [
                IoTestSupport.Values(torch.rand([20], g)),
                IoTestSupport.Values(torch.randn([20], g, torch.float64)),
                IoTestSupport.Values(torch.randint(0, 1000, [20], g)),
                IoTestSupport.Values(torch.bernoulli(p, g)),
                IoTestSupport.Values(torch.normal(3, 0.5, [20], g)),
                IoTestSupport.Values(torch.randperm(20, g)),
            ];
        }
        var a = Draws(42);
        var b = Draws(42);
        var c = Draws(43);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i], b[i]);
            Assert.NotEqual(a[i], c[i]);
        }
        // The generator moves on: a second draw from one generator differs from the first.
        using var g = new torch.Generator(42);
        Assert.NotEqual(IoTestSupport.Values(torch.rand([20], g)), IoTestSupport.Values(torch.rand([20], g)));
        // Draws have their distributions' support: rand in [0, 1), randint in [low, high), bernoulli 0/1.
        Assert.All(a[0], v => Assert.InRange(v, 0, 1 - 1e-9));
        Assert.All(a[2], v => Assert.InRange(v, 0, 999));
        Assert.All(a[3], v => Assert.True(v is 0 or 1));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (double)i), a[5].Order());
    }

    [Fact]
    public void GeneratorDrawsEqualPythonTorch()
    {
        const string script = """
            import json, torch
            out = {}
            g = torch.Generator().manual_seed(42)
            out["rand"] = torch.rand(5, generator=g).tolist()
            out["randn"] = torch.randn(5, generator=g).tolist()
            g = torch.Generator().manual_seed(7)
            out["randint"] = torch.randint(0, 100, (6,), generator=g).tolist()
            out["randn64"] = torch.randn(4, generator=g, dtype=torch.float64).tolist()
            out["normal"] = torch.normal(2.0, 3.0, (4,), generator=g).tolist()
            out["bernoulli"] = torch.bernoulli(torch.full((12,), 0.3), generator=g).tolist()
            out["randperm"] = torch.randperm(10, generator=g).tolist()
            print(json.dumps(out))
            """;
        var py = IoTestSupport.PythonJson(script);
        using var scope = torch.NewDisposeScope();
        using (var g = new torch.Generator(42))
        {
            IoTestSupport.AssertValues(py.GetProperty("rand"), torch.rand([5], g), "rand");
            IoTestSupport.AssertValues(py.GetProperty("randn"), torch.randn([5], g), "randn");
        }
        using (var g = new torch.Generator(7))
        {
            IoTestSupport.AssertValues(py.GetProperty("randint"), torch.randint(0, 100, [6], g), "randint");
            IoTestSupport.AssertValues(py.GetProperty("randn64"), torch.randn([4], g, torch.float64), "randn float64");
            IoTestSupport.AssertValues(py.GetProperty("normal"), torch.normal(2, 3, [4], g), "normal");
            IoTestSupport.AssertValues(py.GetProperty("bernoulli"), torch.bernoulli(torch.full([12], 0.3), g), "bernoulli");
            IoTestSupport.AssertValues(py.GetProperty("randperm"), torch.randperm(10, g), "randperm");
        }
    }
}

/// <summary>The global generator is process-wide: these tests run alone.</summary>
[Collection(SerialCollection.Name)]
public class GlobalGeneratorTests
{
    [Fact]
    public void ManualSeedGivesTheSameDrawsAsAGeneratorWithThatSeed()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(42);
        var expected = torch.rand([5], g).data<float>();
        torch.manual_seed(42);
        Assert.Equal(expected, torch.rand([5]).data<float>());
        Assert.NotEqual(expected, torch.rand([5]).data<float>());
        torch.manual_seed(42);
        Assert.Equal(expected, torch.rand([5]).data<float>());
    }
}
