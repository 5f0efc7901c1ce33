"""A few training steps on a tiny random model, checkpoint layout and loading round trips."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import torch
import yaml
from tiny_training_setup import sine_clip, write_config

from tokenizers_impl.varstok import VARSTok
from tokenizers_impl.varstok.train import cli
from tokenizers_impl.varstok.train.checkpoint import export_shipped
from tokenizers_impl.varstok.train.config import inference_config, load_config
from tokenizers_impl.varstok.train.evaluate import evaluate
from tokenizers_impl.varstok.train.module import CodecGanModule
from tokenizers_impl.varstok.train.run import (
    build_module,
    initialise_from,
    save_training_checkpoint,
)


def _batch() -> torch.Tensor:
    return torch.stack([torch.from_numpy(sine_clip(f, 6400 / 24000, i)[:6400])
                        for i, f in enumerate((180.0, 310.0))])


def _module(tmp_path: Path, manifest: Path, clustering: str = "none") -> CodecGanModule:
    torch.manual_seed(0)
    return build_module(load_config(write_config(tmp_path, manifest, clustering)))


def _gan_step(module: CodecGanModule, opts: list, audio: torch.Tensor) -> dict[str, float]:
    opt_disc, opt_gen = opts
    bw = torch.tensor([0])
    out = module(audio, bw)
    disc = module.discriminator_step_loss(audio, out.audio, bw)
    opt_disc.zero_grad()
    disc["disc/total"].backward()
    opt_disc.step()
    gen = module.generator_step_loss(audio, out, bw, adversarial=True)
    opt_gen.zero_grad()
    gen["gen/total"].backward()
    opt_gen.step()
    module.step_count += 1
    return {k: float(v) for k, v in {**disc, **gen}.items()}


def test_cli_help_exits_cleanly() -> None:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli(["--help"]) == 0
    assert "tokbench train varstok" in buffer.getvalue()
    with contextlib.redirect_stderr(io.StringIO()):
        assert cli([]) == 2  # missing CONFIG is a usage error


def test_config_errors_are_clear(tmp_path: Path, sine_manifest: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("trainer: {max_steps: 1}\n")
    with pytest.raises(ValueError, match="'model' section"):
        load_config(bad)
    good = yaml.safe_load(write_config(tmp_path, sine_manifest).read_text())
    good["model"]["init_args"]["clustering"] = "kmeans"
    bad.write_text(yaml.safe_dump(good))
    with pytest.raises(ValueError, match="clustering must be one of"):
        load_config(bad)


def test_gan_steps_are_finite_and_mel_loss_falls(tmp_path: Path, sine_manifest: Path) -> None:
    module = _module(tmp_path, sine_manifest)
    opts, _ = module.configure_optimizers()
    audio = _batch()
    history = [_gan_step(module, opts, audio) for _ in range(10)]
    assert all(torch.isfinite(torch.tensor(list(h.values()))).all() for h in history)
    mels = [h["gen/mel"] for h in history]
    assert sum(mels[-3:]) / 3 < 0.9 * mels[0], mels
    assert all(h["gen/adv_mpd"] > 0 and h["disc/total"] > 0 for h in history)
    assert float(module.feature_extractor.encodec.quantizer.codebook.inited) == 1.0


def test_varstok_clustering_step_gives_variable_spans(tmp_path: Path,
                                                      sine_manifest: Path) -> None:
    module = _module(tmp_path, sine_manifest, clustering="fixed")
    opts, _ = module.configure_optimizers()
    audio = _batch()
    losses = _gan_step(module, opts, audio)
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    out = module(audio, torch.tensor([0]))
    assert out.spans.sum(dim=1).tolist() == [20, 20]  # 6400 samples / 320 = 20 frames each
    assert int((out.spans > 0).sum()) < 40 and int(out.spans.max()) <= 4
    assert out.audio.shape == audio.shape


def test_checkpoint_round_trips_through_from_pretrained(tmp_path: Path,
                                                        sine_manifest: Path) -> None:
    cfg = load_config(write_config(tmp_path, sine_manifest, clustering="fixed"))
    torch.manual_seed(0)
    module = build_module(cfg)
    opts, _ = module.configure_optimizers()
    _gan_step(module, opts, _batch())
    ckpt = save_training_checkpoint(module, cfg, tmp_path / "run" / "last.ckpt")
    payload = torch.load(ckpt, weights_only=True)
    keys = payload["state_dict"].keys()
    assert any(k.startswith("multiperioddisc.discriminators.0.convs.") for k in keys)
    assert any(k.startswith("multiresddisc.") for k in keys)
    assert payload["global_step"] == 1
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(inference_config(cfg)))

    module.eval()
    audio = _batch()[:1]
    loaded = VARSTok.from_pretrained(config_path, ckpt, clustering="fixed")
    with torch.no_grad():
        ours = module(audio, torch.tensor([0]))
    feats, ids, spans = loaded.encode_infer(audio, 0)
    assert torch.equal(spans, ours.spans)
    assert torch.equal(ids[0] % 64, ours.codes)
    torch.testing.assert_close(loaded.decode(feats, spans, 0), ours.audio, rtol=0, atol=1e-6)

    shipped = export_shipped(ckpt, tmp_path / "ship" / "model.ckpt")
    small = torch.load(shipped, weights_only=True)["state_dict"]
    assert not any(k.startswith(("multiperioddisc.", "multiresddisc.")) for k in small)
    assert all(v.dtype == torch.float16 for v in small.values() if v.is_floating_point())
    half = VARSTok.from_pretrained(config_path, shipped, clustering="fixed")
    rounded = {k: v.half().float() if v.is_floating_point() else v
               for k, v in loaded.state_dict().items()}
    loaded.load_state_dict(rounded)
    torch.testing.assert_close(half(audio, 0), loaded(audio, 0), rtol=0, atol=0)


def test_varstok_initialises_from_a_wavtokenizer_checkpoint(tmp_path: Path,
                                                             sine_manifest: Path) -> None:
    wt_cfg = load_config(write_config(tmp_path, sine_manifest))
    torch.manual_seed(0)
    wt = build_module(wt_cfg)
    opts, _ = wt.configure_optimizers()
    _gan_step(wt, opts, _batch())
    ckpt = save_training_checkpoint(wt, wt_cfg, tmp_path / "wt.ckpt")
    vs_cfg = load_config(write_config(tmp_path, sine_manifest, "original", ckpt, "vs.yaml"))
    torch.manual_seed(1)
    vs = build_module(vs_cfg)
    for key, value in wt.state_dict().items():
        torch.testing.assert_close(vs.state_dict()[key], value, rtol=0, atol=0)
    assert vs.feature_extractor.cluster is not None and wt.feature_extractor.cluster is None

    wider = yaml.safe_load(write_config(tmp_path, sine_manifest, "original").read_text())
    wider["model"]["init_args"]["backbone"]["init_args"]["intermediate_dim"] = 96
    other = tmp_path / "wider.yaml"
    other.write_text(yaml.safe_dump(wider))
    with pytest.raises(RuntimeError, match="size mismatch"):
        initialise_from(build_module(load_config(other)), ckpt)


def test_cli_trains_with_lightning_and_exports(tmp_path: Path, sine_manifest: Path) -> None:
    config = write_config(tmp_path, sine_manifest, clustering="original")
    out, ship = tmp_path / "run", tmp_path / "ship"
    with contextlib.redirect_stdout(io.StringIO()):
        status = cli([str(config), "--out", str(out), "--max-steps", "2", "--export", str(ship)])
    assert status == 0
    summary = yaml.safe_load((out / "history.json").read_text())["summary"]
    assert summary["steps"] == 2
    assert set(summary["final"]) >= {"gen/mel", "gen/commit", "disc/total", "tokens_per_frame"}
    full = torch.load(out / "last.ckpt", weights_only=True)
    assert full["global_step"] == 2 and full["hyper_parameters"]["clustering"] == "original"
    assert any(k.startswith("multiperioddisc.") for k in full["state_dict"])
    model = VARSTok.from_pretrained(ship / "config.yaml", ship / "model.ckpt")
    wav = torch.from_numpy(sine_clip(200.0, 0.5, 0))[None]
    assert torch.isfinite(model(wav, 0)).all()

    fixed_rate = evaluate(ship, sine_manifest, "none")
    assert fixed_rate["tokens_per_s"] == 75.0  # every clip is a whole number of 320-sample hops
    assert fixed_rate["clips"] == 4 and fixed_rate["mel_l1"] > 0
    variable = evaluate(ship, sine_manifest, "original")
    assert 75.0 / 4 <= variable["tokens_per_s"] < 75.0  # spans of 1..4 frames
