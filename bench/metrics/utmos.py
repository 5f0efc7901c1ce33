"""UTMOS (UTMOS22 strong learner, as used by the VARSTok and WavTokenizer papers), pure torch.

Loads the official SaruLab UTMOS-demo checkpoint ``epoch=3-step=7459.ckpt`` or tarepan/SpeechMOS's
converted ``utmos22_strong_step7459_v1.pt`` into ``Utmos22Strong``; scores 16 kHz audio with
domain 0 and judge 288, score = mean frame output * 2 + 3. Clips are batched with lengths.

The Lightning checkpoint pickles training hyper-parameters, so the tensors-only loader refuses
it; convert it once with ``python -m bench.metrics.utmos convert --trust CKPT OUT.pt``, or run
tokbench with ``--trust-remote-checkpoints`` (trust never comes from a suite file).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from bench.audio import resample
from bench.metrics.base import Metric, MetricInfo, MetricInput, MetricValue, check_inputs
from bench.metrics.models.common import cached_model, pad_batch, pick_device
from bench.metrics.models.utmos_net import Utmos22Strong, from_speechmos
from bench.trust import CheckpointReadError, UntrustedFileError, safe_torch_load, trusted
from bench.weights import UTMOS, resolve, unavailable

SAMPLE_RATE = 16000
MIN_SAMPLES = SAMPLE_RATE // 10


class UtmosWeightsError(RuntimeError):
    """The checkpoint could not be read or does not fit the UTMOS22 strong learner."""


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Official-layout weights from a Lightning checkpoint, a SpeechMOS file or a state dict."""
    try:
        blob = safe_torch_load(path)
    except UntrustedFileError as err:  # one line: the file, the flag, the conversion
        raise UtmosWeightsError(
            f"{err} (or convert it once: python -m bench.metrics.utmos convert --trust "
            f"{path} OUT.pt, then set TOKBENCH_UTMOS_CKPT=OUT.pt)") from err
    except (CheckpointReadError, OSError, RuntimeError) as err:
        raise UtmosWeightsError(str(err)) from err
    state = blob.get("state_dict", blob) if isinstance(blob, dict) else None
    if not isinstance(state, dict):
        raise UtmosWeightsError(f"{path} holds no state dict")
    if any(key.startswith("wav2vec2.") for key in state):
        state = from_speechmos(state)
    return {key: value for key, value in state.items() if isinstance(value, torch.Tensor)}


def load_utmos(path: Path, device: torch.device) -> Utmos22Strong:
    model = Utmos22Strong()
    try:
        model.load_state_dict(read_state_dict(path), strict=True)
    except RuntimeError as err:
        raise UtmosWeightsError(f"{path} does not match the UTMOS22 strong learner: {err}") from err
    return model.to(device).eval()


class Utmos(Metric):
    """UTMOS22 strong learner MOS of the hypothesis (reference-free)."""

    info = MetricInfo(
        id="utmos", uses_gpu=True, sample_rate=SAMPLE_RATE, unit="MOS", version="1",
        protocol="UTMOS22 strong learner (UTMOS-demo epoch=3-step=7459), 16 kHz (torchaudio "
                 "resampling), domain 0, judge 288, score = mean(frame scores) * 2 + 3",
        model="UTMOS22 strong learner, wav2vec 2.0 base backbone (SaruLab UTMOS-demo)",
    )

    def __init__(self, checkpoint: str | None = None, batch_size: int = 8,
                 device: str | None = None) -> None:
        self.checkpoint = checkpoint
        self.batch_size = int(batch_size)
        self.device = device

    def unavailable_reason(self) -> str | None:
        return unavailable(UTMOS, self.checkpoint)

    def model(self) -> Utmos22Strong:
        path = resolve(UTMOS, self.checkpoint).path
        device = pick_device(self.device)
        return cached_model(("utmos", str(path), str(device)),
                            lambda: load_utmos(path, device))

    def compute(self, items: list[MetricInput]) -> list[MetricValue]:
        results: list[MetricValue | None] = [None] * len(items)
        clips: dict[int, np.ndarray] = {}
        for index, item in enumerate(items):
            problem = check_inputs(self.info, item)
            if problem:
                results[index] = MetricValue.missing(problem)
                continue
            clip = resample(item.hypothesis, int(item.hypothesis_sr), SAMPLE_RATE)
            if len(clip) < MIN_SAMPLES:
                results[index] = MetricValue.missing("audio shorter than 0.1 s")
            else:
                clips[index] = clip
        if clips:
            reason = ""
            try:
                scores = self.score(list(clips.values()))
            except UtmosWeightsError as err:
                scores = [None] * len(clips)
                reason = str(err)
            for index, score in zip(clips, scores, strict=True):
                results[index] = (MetricValue(score) if score is not None
                                  else MetricValue.missing(reason))
        return [value for value in results if value is not None]

    def score(self, clips: list[np.ndarray]) -> list[float]:
        """MOS of 16 kHz clips, longest-first batches to limit padding."""
        model = self.model()
        device = next(model.parameters()).device
        order = sorted(range(len(clips)), key=lambda i: -len(clips[i]))
        out: list[float] = [0.0] * len(clips)
        with torch.no_grad():
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                wav, lengths = pad_batch([clips[i] for i in batch])
                scores = model(wav.to(device), lengths.to(device)).cpu().tolist()
                for index, score in zip(batch, scores, strict=True):
                    out[index] = float(score)
        return out


def _convert(args: argparse.Namespace) -> None:
    if not args.trust:
        raise SystemExit("refusing to unpickle a full checkpoint without --trust")
    with trusted():  # the user asked for it on this command line
        state = read_state_dict(Path(args.checkpoint))
    Utmos22Strong().load_state_dict(state, strict=True)
    torch.save(state, args.output)
    print(f"wrote {len(state)} tensors to {args.output} (loadable with weights_only=True)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="UTMOS checkpoint tools")
    sub = parser.add_subparsers(required=True)
    convert = sub.add_parser("convert", help="official .ckpt -> plain state dict .pt")
    convert.add_argument("checkpoint")
    convert.add_argument("output")
    convert.add_argument("--trust", action="store_true",
                         help="allow full unpickling of the checkpoint (only for trusted files)")
    convert.set_defaults(func=_convert)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
