namespace XaiGrid.Explain.Tests;

/// <summary>
/// Runs reference computations in Debian's python3-torch (/usr/bin/python3; the python3 on PATH has no torch). A test
/// saves weights (torch.safetensors.save_file, e.g. Trainer.SaveWeights) and arrays (torch.numpy.save) into a
/// <see cref="TempDir"/>, runs a script that starts with <see cref="Prelude"/>, and reads back the .npy files it writes.
/// </summary>
public static class PythonReference
{
    /// <summary>
    /// Definitions for every script: <c>load_safetensors(path)</c>, a dict of tensors parsed by hand (torch 1.13 has no
    /// safetensors package); the architectures written from DESIGN.md §6 with its state-dict names; and
    /// <c>build(arch, weights_path)</c>, the model in eval mode with those weights (sizes read from the weights).
    /// </summary>
    public const string Prelude = """
        import json, struct, sys
        import numpy as np
        import torch
        from torch import nn

        def load_safetensors(path):
            with open(path, 'rb') as f:
                data = f.read()
            n = struct.unpack('<Q', data[:8])[0]
            header = json.loads(data[8:8 + n])
            header.pop('__metadata__', None)
            dtypes = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64, 'I32': np.int32}
            tensors = {}
            for name, entry in header.items():
                begin, end = entry['data_offsets']
                array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=dtypes[entry['dtype']])
                tensors[name] = torch.from_numpy(array.reshape(entry['shape']).copy())
            return tensors

        class Mnist1DCnn(nn.Module):
            def __init__(self, state):
                super().__init__()
                c, k = state['conv1.weight'].shape[0], state['linear.weight'].shape[0]
                self.conv1 = nn.Conv1d(1, c, 5, stride=2, padding=1)
                self.conv2 = nn.Conv1d(c, c, 3, stride=2, padding=1)
                self.conv3 = nn.Conv1d(c, c, 3, stride=2, padding=1)
                self.linear = nn.Linear(5 * c, k)
            def forward(self, x):
                h = self.conv1(x).relu()
                h = self.conv2(h).relu()
                h = self.conv3(h).relu()
                return self.linear(h.flatten(1))

        class Vgg7(nn.Module):
            def __init__(self, state):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
                self.classifier = nn.Linear(64, state['classifier.weight'].shape[0])
            def forward(self, x):
                return self.classifier(self.features(x).mean(dim=(2, 3)))

        ARCHS = {'mnist1d-cnn': Mnist1DCnn, 'vgg7': Vgg7}

        def build(arch, weights_path):
            state = load_safetensors(weights_path)
            model = ARCHS[arch](state)
            model.load_state_dict(state)
            return model.eval()

        """;

    /// <summary>Runs <see cref="Prelude"/> followed by <paramref name="script"/> with sys.argv[1:] = <paramref name="args"/>; returns stdout.</summary>
    public static string Run(string script, params string[] args) => TestData.Python(Prelude + script, args);
}
