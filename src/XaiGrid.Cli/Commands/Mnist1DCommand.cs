using System.CommandLine;
using Spectre.Console;
using XaiGrid.Data;

namespace XaiGrid.Cli.Commands;

/// <summary><c>xaigrid mnist1d generate</c>: the MNIST-1D generator with every parameter of the reference.</summary>
internal static class Mnist1DCommand
{
    public static Command Create()
    {
        var d = new Mnist1DOptions();
        var seed = new Option<uint>("--seed") { Description = "numpy RandomState seed", DefaultValueFactory = _ => d.Seed };
        var numSamples = new Option<int>("--num-samples") { Description = "samples in all (a tenth per class)", DefaultValueFactory = _ => d.NumSamples };
        var trainSplit = new Option<double>("--train-split") { Description = "share of samples for training", DefaultValueFactory = _ => d.TrainSplit };
        var templateLen = new Option<int>("--template-len") { Description = "template length (sets the working length with padding)", DefaultValueFactory = _ => d.TemplateLen };
        var paddingLow = new Option<int>("--padding-low") { Description = "smallest zero padding", DefaultValueFactory = _ => d.Padding.Low };
        var paddingHigh = new Option<int>("--padding-high") { Description = "largest zero padding", DefaultValueFactory = _ => d.Padding.High };
        var scaleCoeff = new Option<double>("--scale-coeff") { Description = "scale jitter", DefaultValueFactory = _ => d.ScaleCoeff };
        var maxTranslation = new Option<int>("--max-translation") { Description = "largest roll", DefaultValueFactory = _ => d.MaxTranslation };
        var corrNoise = new Option<double>("--corr-noise-scale") { Description = "correlated noise scale", DefaultValueFactory = _ => d.CorrNoiseScale };
        var iidNoise = new Option<double>("--iid-noise-scale") { Description = "iid noise scale", DefaultValueFactory = _ => d.IidNoiseScale };
        var shearScale = new Option<double>("--shear-scale") { Description = "shear scale", DefaultValueFactory = _ => d.ShearScale };
        var shuffleSeq = new Option<bool>("--shuffle-seq") { Description = "permute the positions of every sequence by one fixed permutation" };
        var finalLength = new Option<int>("--final-seq-length") { Description = "output sequence length", DefaultValueFactory = _ => d.FinalSeqLength };
        var output = new Option<string>("--out") { Description = "folder for train.csv, test.csv and t.csv", Required = true };

        var generate = new Command("generate", "Generate MNIST-1D (the defaults reproduce the published data set)")
        {
            seed, numSamples, trainSplit, templateLen, paddingLow, paddingHigh, scaleCoeff, maxTranslation, corrNoise, iidNoise, shearScale,
            shuffleSeq, finalLength, output,
        };
        generate.SetAction(parse => CommandErrors.Run(() =>
        {
            var options = new Mnist1DOptions
            {
                Seed = parse.GetValue(seed), NumSamples = parse.GetValue(numSamples), TrainSplit = parse.GetValue(trainSplit),
                TemplateLen = parse.GetValue(templateLen), Padding = (parse.GetValue(paddingLow), parse.GetValue(paddingHigh)),
                ScaleCoeff = parse.GetValue(scaleCoeff), MaxTranslation = parse.GetValue(maxTranslation),
                CorrNoiseScale = parse.GetValue(corrNoise), IidNoiseScale = parse.GetValue(iidNoise), ShearScale = parse.GetValue(shearScale),
                ShuffleSeq = parse.GetValue(shuffleSeq), FinalSeqLength = parse.GetValue(finalLength),
            };
            var data = Mnist1D.Generate(options);
            var dir = parse.GetValue(output)!;
            data.Write(dir);
            AnsiConsole.MarkupLineInterpolated($"wrote {data.TrainY.Length} train and {data.TestY.Length} test sequences of length {data.SequenceLength} to {dir}");
            return 0;
        }));
        return new Command("mnist1d", "The MNIST-1D data set") { generate };
    }
}
