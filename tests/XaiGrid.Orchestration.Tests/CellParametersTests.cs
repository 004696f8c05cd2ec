using XaiGrid.Data;
using XaiGrid.Models.Training;
using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Tests;

public class CellParametersTests
{
    [Fact]
    public void TrainingOptionsSurviveTheCanonicalText()
    {
        var options = new TrainingOptions
        {
            Optimizer = "sgd", LearningRate = 0.003, Momentum = 0.8, Nesterov = true, WeightDecay = 5e-4, BatchSize = 32, Epochs = 7,
            Seed = 12345678901234UL, Shuffle = false, Schedule = "cosine", StepSize = 3, Gamma = 0.25, Augmentation = new Augmentation(true, false, 4),
        };
        var text = CanonicalJson.Serialize(CellParameters.Training(options));
        var back = CellParameters.ReadTraining(System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject());
        Assert.Equal(options, back);
        var steps = options with { Epochs = null, Steps = 6000, LearningRate = 1 };
        Assert.Equal(steps, CellParameters.ReadTraining(System.Text.Json.Nodes.JsonNode.Parse(CanonicalJson.Serialize(CellParameters.Training(steps)))!.AsObject()));
    }

    [Fact]
    public void DataEntriesSurviveTheCanonicalText()
    {
        var entry = new DataEntry("hmt", "../shared/data/hmt", 64, true, 0.1, 7);
        var (spec, options) = CellParameters.ReadData(System.Text.Json.Nodes.JsonNode.Parse(CanonicalJson.Serialize(CellParameters.Data(entry)))!.AsObject());
        Assert.Equal("../shared/data/hmt", spec);
        Assert.Equal(entry.Options(), options);
        Assert.Equal(new DataSpecOptions { ImageSize = 64, Normalize = true, TestFraction = 0.1, SplitSeed = 7 }, options);
    }

    [Fact]
    public void MissingParametersAreNamed()
    {
        var json = CellParameters.Training(new TrainingOptions { Epochs = 1 });
        json.Remove("lr");
        Assert.StartsWith("cell parameters lack 'lr'", Assert.Throws<FormatException>(() => CellParameters.ReadTraining(json)).Message);
    }
}
