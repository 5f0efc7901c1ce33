"""UTMOS22 strong learner (SaruLab UTMOS-demo) in plain torch, without fairseq.

Parameter names follow the official Lightning checkpoint ``epoch=3-step=7459.ckpt``: a wav2vec 2.0
base encoder under ``feature_extractors.0.ssl_model`` (fairseq naming), a data-domain embedding
``feature_extractors.1``, a judge-conditioned BLSTM ``output_layers.0`` and a projection head
``output_layers.1``. The forward pass takes a padded batch with lengths and gives every clip the
score it would get alone: the first conv layer's group norm, attention and BLSTM all ignore
padding, and padded frames are zeroed before the positional convolution as fairseq does.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

SSL_DIM = 768
CONV_DIM = 512
DOMAIN_DIM = 128
JUDGE_DIM = 128
NUM_DOMAINS = 3
NUM_JUDGES = 3000
RNN_HIDDEN = 512
PROJ_HIDDEN = 2048
LAYERS = 12
HEADS = 12
FFN_DIM = 3072
POS_CONV_KERNEL = 128
POS_CONV_GROUPS = 16
CONV_SPEC = [(10, 5)] + [(3, 2)] * 4 + [(2, 2)] * 2  # (kernel, stride) of the feature encoder
SEQ_LEN_MULTIPLE = 2
DEMO_DOMAIN = 0
DEMO_JUDGE = 288


def frame_lengths(lengths: torch.Tensor) -> torch.Tensor:
    """Number of encoder frames for input lengths in samples."""
    out = lengths.clone()
    for kernel, stride in CONV_SPEC:
        out = torch.div(out - kernel, stride, rounding_mode="floor") + 1
    return out


def valid_mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    """``[B, size]`` True where a frame is real."""
    return torch.arange(size, device=lengths.device)[None, :] < lengths[:, None]


class MaskedChannelNorm(nn.Module):
    """GroupNorm with one group per channel, statistics over each clip's real frames only."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask[:, None, :].to(x.dtype)
        count = m.sum(dim=2, keepdim=True).clamp(min=1.0)
        mean = (x * m).sum(dim=2, keepdim=True) / count
        var = (((x - mean) * m) ** 2).sum(dim=2, keepdim=True) / count
        normed = (x - mean) / torch.sqrt(var + self.eps)
        return normed * self.weight[None, :, None] + self.bias[None, :, None]


class ConvBlock(nn.Module):
    """Conv1d (no bias) -> [group norm on the first block] -> GELU; children named as fairseq's
    ``nn.Sequential(conv, dropout, norm, gelu)``: keys ``<i>.0.weight`` and ``<i>.2.weight``."""

    def __init__(self, in_dim: int, kernel: int, stride: int, with_norm: bool) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.add_module("0", nn.Conv1d(in_dim, CONV_DIM, kernel, stride=stride, bias=False))
        if with_norm:
            self.add_module("2", MaskedChannelNorm(CONV_DIM))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = getattr(self, "0")(x)
        lengths = torch.div(lengths - self.kernel, self.stride, rounding_mode="floor") + 1
        if hasattr(self, "2"):
            x = getattr(self, "2")(x, valid_mask(lengths, x.shape[-1]))
        return F.gelu(x), lengths


class FeatureEncoder(nn.Module):
    """wav2vec 2.0 convolutional feature encoder (7 blocks, 320x downsampling)."""

    def __init__(self) -> None:
        super().__init__()
        blocks, in_dim = [], 1
        for index, (kernel, stride) in enumerate(CONV_SPEC):
            blocks.append(ConvBlock(in_dim, kernel, stride, with_norm=index == 0))
            in_dim = CONV_DIM
        self.conv_layers = nn.ModuleList(blocks)

    def forward(self, wav: torch.Tensor,
                lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = wav[:, None, :]
        for block in self.conv_layers:
            x, lengths = block(x, lengths)
        return x, lengths


class WeightNormConv(nn.Module):
    """Grouped positional Conv1d with weight normalisation over kernel positions (fairseq's
    ``weight_norm(conv, dim=2)``): parameters ``weight_g`` [1, 1, K], ``weight_v``, ``bias``."""

    def __init__(self) -> None:
        super().__init__()
        per_group = SSL_DIM // POS_CONV_GROUPS
        self.weight_g = nn.Parameter(torch.ones(1, 1, POS_CONV_KERNEL))
        self.weight_v = nn.Parameter(torch.randn(SSL_DIM, per_group, POS_CONV_KERNEL) * 0.02)
        self.bias = nn.Parameter(torch.zeros(SSL_DIM))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = self.weight_v.pow(2).sum(dim=(0, 1), keepdim=True).sqrt()
        weight = self.weight_g * self.weight_v / norm
        out = F.conv1d(x, weight, self.bias, padding=POS_CONV_KERNEL // 2,
                       groups=POS_CONV_GROUPS)
        return out[:, :, :-1]  # even kernel: drop the extra frame ("same" padding)


class SelfAttention(nn.Module):
    """Multi-head self-attention with separate q/k/v/out projections (fairseq naming)."""

    def __init__(self) -> None:
        super().__init__()
        self.q_proj = nn.Linear(SSL_DIM, SSL_DIM)
        self.k_proj = nn.Linear(SSL_DIM, SSL_DIM)
        self.v_proj = nn.Linear(SSL_DIM, SSL_DIM)
        self.out_proj = nn.Linear(SSL_DIM, SSL_DIM)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        batch, frames, _ = x.shape
        head_dim = SSL_DIM // HEADS

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, frames, HEADS, head_dim).transpose(1, 2)

        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(head_dim)
        scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        out = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, frames, SSL_DIM)
        return self.out_proj(out)


class EncoderLayer(nn.Module):
    """Post-norm transformer layer (wav2vec 2.0 base: layer_norm_first=False)."""

    def __init__(self) -> None:
        super().__init__()
        self.self_attn = SelfAttention()
        self.self_attn_layer_norm = nn.LayerNorm(SSL_DIM)
        self.fc1 = nn.Linear(SSL_DIM, FFN_DIM)
        self.fc2 = nn.Linear(FFN_DIM, SSL_DIM)
        self.final_layer_norm = nn.LayerNorm(SSL_DIM)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        x = self.self_attn_layer_norm(x + self.self_attn(x, pad))
        return self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))


class ContextEncoder(nn.Module):
    """Positional conv + layer norm + 12 transformer layers."""

    def __init__(self) -> None:
        super().__init__()
        self.pos_conv = nn.ModuleList([WeightNormConv()])
        self.layer_norm = nn.LayerNorm(SSL_DIM)
        self.layers = nn.ModuleList([EncoderLayer() for _ in range(LAYERS)])

    def forward(self, x: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        x = x.masked_fill(~real[:, :, None], 0.0)
        x = x + F.gelu(self.pos_conv[0](x.transpose(1, 2))).transpose(1, 2)
        x = self.layer_norm(x)
        frames = x.shape[1]
        extra = (-frames) % SEQ_LEN_MULTIPLE
        pad = ~real
        if extra:
            x = F.pad(x, (0, 0, 0, extra))
            pad = F.pad(pad, (0, extra), value=True)
        for layer in self.layers:
            x = layer(x, pad)
        return x[:, :frames]


class Wav2Vec2Base(nn.Module):
    """wav2vec 2.0 base as fine-tuned inside UTMOS (pre-training heads removed)."""

    def __init__(self) -> None:
        super().__init__()
        self.mask_emb = nn.Parameter(torch.zeros(SSL_DIM))  # unused at inference; kept for keys
        self.feature_extractor = FeatureEncoder()
        self.layer_norm = nn.LayerNorm(CONV_DIM)
        self.post_extract_proj = nn.Linear(CONV_DIM, SSL_DIM)
        self.encoder = ContextEncoder()

    def forward(self, wav: torch.Tensor,
                lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, frames = self.feature_extractor(wav, lengths)
        x = self.post_extract_proj(self.layer_norm(features.transpose(1, 2)))
        real = valid_mask(frames, x.shape[1])
        return self.encoder(x, real), frames


class SslFeature(nn.Module):
    """Holder whose child is named ``ssl_model`` as in the UTMOS demo."""

    def __init__(self) -> None:
        super().__init__()
        self.ssl_model = Wav2Vec2Base()


class DomainEmbedding(nn.Module):
    """Data-domain embedding (the demo uses domain 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(NUM_DOMAINS, DOMAIN_DIM)


class JudgeConditionedBlstm(nn.Module):
    """Listener embedding concatenated to every frame, then a bidirectional LSTM."""

    def __init__(self) -> None:
        super().__init__()
        self.judge_embedding = nn.Embedding(NUM_JUDGES, JUDGE_DIM)
        self.decoder_rnn = nn.LSTM(SSL_DIM + DOMAIN_DIM + JUDGE_DIM, RNN_HIDDEN,
                                   num_layers=1, batch_first=True, bidirectional=True)


class ProjectionHead(nn.Module):
    """Frame-wise Linear-ReLU-(Dropout)-Linear to one score; ``net.0`` and ``net.3`` as in the
    demo's ``nn.Sequential``."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * RNN_HIDDEN, PROJ_HIDDEN), nn.ReLU(),
                                 nn.Dropout(0.3), nn.Linear(PROJ_HIDDEN, 1))


class Utmos22Strong(nn.Module):
    """UTMOS22 strong learner: 16 kHz waveforms -> MOS (frame scores mean * 2 + 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.feature_extractors = nn.ModuleList([SslFeature(), DomainEmbedding()])
        self.output_layers = nn.ModuleList([JudgeConditionedBlstm(), ProjectionHead()])

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor,
                domain: int = DEMO_DOMAIN, judge: int = DEMO_JUDGE) -> torch.Tensor:
        ssl, frames = self.feature_extractors[0].ssl_model(wav, lengths)
        batch, steps, _ = ssl.shape
        index = torch.full((batch,), domain, dtype=torch.long, device=wav.device)
        domain_emb = self.feature_extractors[1].embedding(index)
        judge_emb = self.output_layers[0].judge_embedding(torch.full_like(index, judge))
        features = torch.cat([
            ssl,
            domain_emb[:, None, :].expand(batch, steps, -1),
            judge_emb[:, None, :].expand(batch, steps, -1),
        ], dim=2)
        packed = pack_padded_sequence(features, frames.cpu(), batch_first=True,
                                      enforce_sorted=False)
        hidden, _ = self.output_layers[0].decoder_rnn(packed)
        hidden, _ = pad_packed_sequence(hidden, batch_first=True, total_length=steps)
        frame_scores = self.output_layers[1].net(hidden)[..., 0]
        real = valid_mask(frames, steps).to(frame_scores.dtype)
        mean = (frame_scores * real).sum(dim=1) / frames.to(frame_scores.dtype)
        return mean * 2.0 + 3.0


def from_speechmos(state: dict[str, torch.Tensor], domain: int = DEMO_DOMAIN,
                   judge: int = DEMO_JUDGE) -> dict[str, torch.Tensor]:
    """Map tarepan/SpeechMOS ``utmos22_strong`` weights onto the official key layout.

    SpeechMOS keeps only the demo's domain and judge rows; they are placed at their indices
    and the other rows are left zero (only those two rows are ever used).
    """
    out: dict[str, torch.Tensor] = {}
    renames = {"blstm.": "output_layers.0.decoder_rnn.", "projection.0.": "output_layers.1.net.0.",
               "projection.2.": "output_layers.1.net.3.",
               "wav2vec2.": "feature_extractors.0.ssl_model."}
    for key, value in state.items():
        if key == "domain_emb":
            table = torch.zeros(NUM_DOMAINS, DOMAIN_DIM, dtype=value.dtype)
            table[domain] = value.reshape(-1)
            out["feature_extractors.1.embedding.weight"] = table
        elif key == "judge_emb":
            table = torch.zeros(NUM_JUDGES, JUDGE_DIM, dtype=value.dtype)
            table[judge] = value.reshape(-1)
            out["output_layers.0.judge_embedding.weight"] = table
        else:
            for old, new in renames.items():
                if key.startswith(old):
                    out[new + key[len(old):]] = value
                    break
            else:
                raise KeyError(f"unexpected key {key!r} in a SpeechMOS UTMOS state dict")
    return out
