"""Engine workers get what the person at the driver allowed, and nothing more: the folders
tokbench built manifests from, the trust flag, absolute paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import paths
from bench.engines.worker import driver_permissions, grant_permissions
from bench.paths import UnsafePathError, audio_path
from bench.trust import TRUST_ENV, is_trusted


def test_worker_accepts_audio_under_the_drivers_dataset_roots(tmp_path: Path, monkeypatch
                                                               ) -> None:
    monkeypatch.setattr(paths, "_dataset_roots", set())
    monkeypatch.setenv(TRUST_ENV, "")  # recorded, so the test leaves no trust behind
    monkeypatch.setenv(paths.ALLOW_ABSOLUTE_ENV, "")
    audio, cache = tmp_path / "audio", tmp_path / "cache"
    audio.mkdir()
    cache.mkdir()
    (audio / "a.wav").write_bytes(b"RIFF")
    with pytest.raises(UnsafePathError):  # a manifest in the cache pointing at the audio
        audio_path(audio / "a.wav", cache)

    paths.register_dataset_root(audio)  # what load_dataset does on the driver
    sent = driver_permissions()
    assert sent == {"trusted": False, "absolute_paths": False,
                    "dataset_roots": [str(audio.resolve())]}

    monkeypatch.setattr(paths, "_dataset_roots", set())  # a fresh worker process
    grant_permissions(sent)
    assert audio_path(audio / "a.wav", cache) == audio / "a.wav"
    assert not is_trusted()  # nothing the driver did not allow


def test_trust_travels_only_when_given(monkeypatch) -> None:
    monkeypatch.setenv(TRUST_ENV, "")  # recorded, so the test leaves no trust behind
    grant_permissions({"trusted": True})
    assert is_trusted()
