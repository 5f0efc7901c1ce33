"""Training on a tiny scale: content-latent extraction equals the golden z_p, the VQ-VAE loss
decreases in a few steps, BPE trains to the requested vocabulary, and the outputs load back
through the inference loader."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from bench.data.manifest import Utterance, write_manifest
from tokenizers_impl.plutok import Plutok
from tokenizers_impl.plutok.adapter import SHIPPED_MODEL, build
from tokenizers_impl.plutok.train import (
    IDS_DIR,
    cli,
    extract_embeddings,
    train_bpe_from_texts,
    train_vqvae,
)

CASES = ("chirp_2s", "bursts_1p1s")


def golden_manifest(root, tmp_path):
    rows = []
    for case in CASES:
        sf.write(tmp_path / f"{case}.wav", np.load(root / f"{case}.input.npy"), 22050,
                 subtype="FLOAT")
        rows.append(Utterance(id=case, path=f"{case}.wav", language="xx"))
    write_manifest(tmp_path / "m.jsonl", rows)
    return tmp_path / "m.jsonl"


def test_tiny_training_run_loads_back(plutok_golden, tmp_path):
    manifest = golden_manifest(plutok_golden, tmp_path)
    emb = tmp_path / "emb"
    assert extract_embeddings(plutok_golden, manifest, emb, tau=0.0, min_frames=0) == 2
    for case in CASES:
        z_p = np.load(emb / f"{case}.npy")
        assert np.abs(z_p - np.load(plutok_golden / f"{case}.z_p.npy")).max() < 2e-4

    torch.manual_seed(0)
    losses = train_vqvae(emb, tmp_path / "vq", num_codes=32, steps=25, batch=2, crop=32,
                         lr=1e-3, log_every=0)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    texts = sorted((tmp_path / "vq" / IDS_DIR).glob("*.txt"))
    assert [t.stem for t in texts] == sorted(CASES)

    assert cli(["bpe", "--text-dir", str(tmp_path / "vq" / IDS_DIR), "--vocab-size", "40",
                "--out", str(tmp_path / "tok")]) == 0
    tok_json = json.loads((tmp_path / "tok" / "tokenizer.json").read_text())
    assert tok_json["pre_tokenizer"] is None
    assert list(tok_json["model"]["vocab"])[:5] == ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]

    model = Plutok(plutok_golden, tmp_path / "vq" / "model.pth",
                   tmp_path / "tok" / "tokenizer.json", encode_noise=0.0, decode_noise=0.0)
    assert model.vqvae.num_codes == 32
    st = model.encode_stages(np.load(plutok_golden / "chirp_2s.input.npy"))
    assert st.text == (tmp_path / "vq" / IDS_DIR / "chirp_2s.txt").read_text()
    assert len(st.bpe_ids) < len(st.vq_ids)
    assert model.vq_ids_from_bpe(st.bpe_ids) == st.vq_ids
    assert model.bpe.vocab_size <= 40


def test_bpe_training_reproduces_the_golden_tokenizer(plutok_golden, tmp_path):
    corpus = json.loads((plutok_golden / "bpe_corpus.json").read_text())
    texts = [corpus["texts"][name] for name in corpus["order_seen_by_trainer"]]
    path = train_bpe_from_texts(texts, 600, tmp_path / "tok")
    golden = json.loads((plutok_golden / "tokenizer" / "tokenizer.json").read_text())
    ours = json.loads(path.read_text())
    assert len(ours["model"]["vocab"]) == 600
    assert ours["model"]["vocab"] == golden["model"]["vocab"]
    assert ours["model"]["merges"] == golden["model"]["merges"]


def test_shipped_tiny_model_loads_and_is_labelled_untrained(plutok_golden):
    files = [p for p in SHIPPED_MODEL.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 10_000_000
    tok = build(encode_noise=0.0, decode_noise=0.0)
    assert tok.info.trained is False and "UNTRAINED" in tok.info.notes
    assert tok.vocab_size == 600
    wav = torch.from_numpy(np.load(plutok_golden / "chirp_2s.input.npy"))[None]
    batch = tok.encode(wav, torch.tensor([wav.shape[1]]))
    assert int(batch.side_info["vq_frames"].values[0]) == 86
    assert 0 < int(batch.lengths[0]) < 86
    out, lengths = tok.decode(batch)
    assert int(lengths[0]) == 86 * 512 and torch.isfinite(out).all()


def test_no_paths_and_no_shipped_model_is_a_clear_error(tmp_path, monkeypatch):
    from tokenizers_impl.plutok import adapter

    monkeypatch.setattr(adapter, "SHIPPED_MODEL", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="no Plutok paths given"):
        adapter.build()
