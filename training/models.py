"""The melody VAE: a convolutional encoder, a parallel (or, for comparison, GRU) decoder,
and a Gaussian-mixture prior with one learned component per genre."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from engine.codec import N_TOKENS, WINDOW_STEPS
from training.config import ModelConfig


class ResidualBlock(nn.Module):
    """Two 3-wide convolutions with a skip connection."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm1d(channels), nn.GELU(), nn.Conv1d(channels, channels, 3, padding=1),
            nn.BatchNorm1d(channels), nn.GELU(), nn.Conv1d(channels, channels, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Encoder(nn.Module):
    """Tokens (B, 64) -> posterior mean and log-variance (B, latent)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        ch = config.channels
        self.embed = nn.Embedding(N_TOKENS, config.embed_size)
        layers: list[nn.Module] = [nn.Conv1d(config.embed_size, ch[0], 3, padding=1), ResidualBlock(ch[0])]
        for c_in, c_out in zip(ch[:-1], ch[1:]):
            layers += [nn.Conv1d(c_in, c_out, 4, stride=2, padding=1), ResidualBlock(c_out)]
        self.body = nn.Sequential(*layers, nn.GELU())
        flat = ch[-1] * (WINDOW_STEPS >> (len(ch) - 1))
        self.head = nn.Linear(flat, 2 * config.latent_size)
        self.planar = False  # set by to_planar: the body then runs on (B, C, 1, steps)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.embed(tokens).transpose(1, 2)
        h = self.body(x.unsqueeze(2) if self.planar else x)
        mean, logvar = self.head(h.flatten(1)).chunk(2, dim=-1)
        return mean, logvar.clamp(-12.0, 6.0)


class ConvDecoder(nn.Module):
    """Latent (B, latent) -> token logits (B, 64, classes) in one parallel pass."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        ch = tuple(reversed(config.channels))
        self.length = WINDOW_STEPS >> (len(ch) - 1)
        self.first_channels = ch[0]
        self.head = nn.Linear(config.latent_size, ch[0] * self.length)
        layers: list[nn.Module] = []
        for c_in, c_out in zip(ch[:-1], ch[1:]):
            layers += [ResidualBlock(c_in), nn.ConvTranspose1d(c_in, c_out, 4, stride=2, padding=1)]
        self.body = nn.Sequential(*layers, ResidualBlock(ch[-1]), nn.GELU(), nn.Conv1d(ch[-1], N_TOKENS, 1))
        self.planar = False  # set by to_planar: the body then runs on (B, C, 1, steps)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.head(z).view(-1, self.first_channels, self.length)
        if self.planar:
            return self.body(h.unsqueeze(2)).reshape(-1, N_TOKENS, WINDOW_STEPS).transpose(1, 2)
        return self.body(h).transpose(1, 2)


class GRUDecoder(nn.Module):
    """Autoregressive decoder for the architecture comparison: teacher-forced when trained."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(N_TOKENS + 1, config.embed_size)  # last id = start token
        self.init = nn.Linear(config.latent_size, config.gru_size)
        self.gru = nn.GRU(config.embed_size + config.latent_size, config.gru_size, batch_first=True)
        self.out = nn.Linear(config.gru_size, N_TOKENS)

    def forward(self, z: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        if targets is not None:
            start = torch.full_like(targets[:, :1], N_TOKENS)
            inputs = torch.cat([start, targets[:, :-1]], dim=1)
            return self._run(z, inputs, torch.tanh(self.init(z)).unsqueeze(0))[0]
        hidden = torch.tanh(self.init(z)).unsqueeze(0)
        token = torch.full((z.shape[0], 1), N_TOKENS, dtype=torch.long, device=z.device)
        steps = []
        for _ in range(WINDOW_STEPS):
            logits, hidden = self._run(z, token, hidden)
            steps.append(logits)
            token = logits.argmax(-1)
        return torch.cat(steps, dim=1)

    def _run(self, z: torch.Tensor, inputs: torch.Tensor, hidden: torch.Tensor):
        x = torch.cat([self.embed(inputs), z.unsqueeze(1).expand(-1, inputs.shape[1], -1)], dim=-1)
        output, hidden = self.gru(x, hidden)
        return self.out(output), hidden


class MelodyVAE(nn.Module):
    """Encoder, decoder and per-genre prior components (learned means, unit variance)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = ConvDecoder(config) if config.decoder == "conv" else GRUDecoder(config)
        self.prior_means = nn.Parameter(torch.randn(config.n_genres, config.latent_size) * 0.5)

    def decode(self, z: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        """Token logits for latents; ``targets`` teacher-forces an autoregressive decoder."""
        if isinstance(self.decoder, GRUDecoder):
            return self.decoder(z, targets)
        return self.decoder(z)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        mean, logvar = self.encoder(tokens)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        return self.decode(z, tokens), mean, logvar, z


class PolyphaseUpsample(nn.Module):
    """The decoder's ConvTranspose1d(kernel 4, stride 2, padding 1) on (B, C, 1, T) as one
    (1 x 3) convolution that computes both output phases, then interleaves them. Same
    function; ONNX Runtime has blocked (NCHWc) kernels for convolutions but not for
    transposed ones, which made upsampling a third of the decoder's time.

    Output step 2t takes taps 3 and 1 of the transposed kernel at inputs t-1 and t; step
    2t+1 takes taps 2 and 0 at inputs t and t+1.
    """

    def __init__(self, layer: nn.ConvTranspose1d) -> None:
        super().__init__()
        if (layer.kernel_size, layer.stride, layer.padding) != ((4,), (2,), (1,)):
            raise ValueError("only kernel 4, stride 2, padding 1 has this polyphase form")
        weight = layer.weight.detach().transpose(0, 1)  # (out, in, 4)
        out_channels = weight.shape[0]
        phases = torch.zeros(2 * out_channels, weight.shape[1], 1, 3)
        phases[:out_channels, :, 0, 0], phases[:out_channels, :, 0, 1] = weight[..., 3], weight[..., 1]
        phases[out_channels:, :, 0, 1], phases[out_channels:, :, 0, 2] = weight[..., 2], weight[..., 0]
        self.weight = nn.Parameter(phases)
        self.bias = nn.Parameter(layer.bias.detach().repeat(2))
        self.out_channels = out_channels
        self.steps = 0  # input length, set by to_planar so the exported reshapes are constants


    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(x, self.weight, self.bias, padding=(0, 1))
        steps = self.steps or y.shape[-1]
        return y.reshape(-1, 2, self.out_channels, steps).permute(0, 2, 3, 1).reshape(
            -1, self.out_channels, 1, 2 * steps)

    @staticmethod
    def transposed(weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The ConvTranspose1d weight (in, out, 4) and bias (out,) behind exported phases."""
        out_channels = weight.shape[0] // 2
        even, odd = weight[:out_channels, :, 0], weight[out_channels:, :, 0]
        taps = torch.stack([odd[..., 2], even[..., 1], odd[..., 1], even[..., 0]], dim=-1)
        return taps.transpose(0, 1).contiguous(), bias[:out_channels]


_PLANAR = {nn.Conv1d: nn.Conv2d, nn.BatchNorm1d: nn.BatchNorm2d}


def _planar_layer(layer: nn.Module) -> nn.Module:
    if isinstance(layer, nn.ConvTranspose1d):
        return PolyphaseUpsample(layer).train(layer.training)
    if isinstance(layer, nn.BatchNorm1d):
        planar = nn.BatchNorm2d(layer.num_features, layer.eps, layer.momentum)
    else:
        planar = _PLANAR[type(layer)](
            layer.in_channels, layer.out_channels, (1, *layer.kernel_size), stride=(1, *layer.stride),
            padding=(0, *layer.padding), bias=layer.bias is not None)
    for name, tensor in layer.state_dict().items():
        getattr(planar, name).data = tensor.reshape(getattr(planar, name).shape) if tensor.dim() else tensor
    return planar.train(layer.training)


def to_planar(module: nn.Module) -> nn.Module:
    """A copy computing the same function with every 1-D convolution and batch norm as its
    2-D (1 x k) twin, and each transposed convolution as a :class:`PolyphaseUpsample`.
    ONNX Runtime runs 2-D convolutions with blocked (NCHWc) kernels, which decode about
    1.5x faster on this machine; state-dict names are unchanged."""
    planar = copy.deepcopy(module)
    for parent in list(planar.modules()):
        for name, child in parent.named_children():
            if type(child) in _PLANAR or isinstance(child, nn.ConvTranspose1d):
                setattr(parent, name, _planar_layer(child))
        if hasattr(parent, "planar"):  # the modules that shape their input for their body
            parent.planar = True
    for decoder in (m for m in planar.modules() if isinstance(m, ConvDecoder)):
        upsamples = [layer for layer in decoder.body if isinstance(layer, PolyphaseUpsample)]
        for depth, upsample in enumerate(upsamples):
            upsample.steps = decoder.length << depth
    return planar


class EncoderExport(nn.Module):
    """ONNX face of the encoder: int64 tokens -> (mean, logvar)."""

    def __init__(self, model: MelodyVAE) -> None:
        super().__init__()
        self.encoder = to_planar(model.encoder)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(tokens)


class DecoderExport(nn.Module):
    """ONNX face of the parallel decoder: latent -> token logits."""

    def __init__(self, model: MelodyVAE) -> None:
        super().__init__()
        self.decoder = to_planar(model.decoder)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)
