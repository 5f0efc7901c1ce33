"""Exit codes: 0 all work done, 1 some work failed or nothing evaluated, 2 usage/config error
with one line saying what to do (and a "did you mean" suggestion); every option has help."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent / "runner"))

from toys import register_toys, write_tone_set

from bench.cli import _parser, main
from bench.cli_checks import METRIC_GROUPS, expand_metric_ids


@pytest.fixture(autouse=True, scope="module")
def toys() -> None:
    register_toys()


def _suite(tmp_path: Path, body: str, manifest: Path | None = None) -> Path:
    manifest = manifest or write_tone_set(tmp_path / "data", n=2)
    path = tmp_path / "suite.yaml"
    path.write_text(f"name: codes\ndatasets: [{{name: tones, manifest: {manifest}}}]\n"
                    f"batch: {{workers: 0}}\nstore: {tmp_path / 's.sqlite'}\n{body}")
    return path


def _run(path: Path, tmp_path: Path, *extra: str) -> int:
    return main(["run", str(path), "--no-progress", "--out", str(tmp_path / "rep"), *extra])


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    return err[0]


def test_run_all_done_is_0(tmp_path: Path) -> None:
    path = _suite(tmp_path, "variants: [{name: m, family: mulaw}]\nmetrics: [toy_snr]\n")
    assert _run(path, tmp_path) == 0


def test_run_with_failed_utterances_is_1(tmp_path: Path, capsys) -> None:
    manifest = write_tone_set(tmp_path / "data", n=2, corrupt=True)
    path = _suite(tmp_path, "variants: [{name: m, family: mulaw}]\nmetrics: [toy_snr]\n",
                  manifest)
    assert _run(path, tmp_path) == 1
    assert "some work failed: 1 utterance(s) failed" in capsys.readouterr().err


def test_run_where_the_only_variant_is_skipped_is_1(tmp_path: Path, capsys) -> None:
    path = _suite(tmp_path, "variants: [{name: gone, family: broken}]\nmetrics: [toy_snr]\n")
    assert _run(path, tmp_path) == 1
    assert "nothing was evaluated" in capsys.readouterr().err


def test_run_where_every_file_fails_is_1(tmp_path: Path, capsys) -> None:
    data = tmp_path / "bad"
    data.mkdir()
    (data / "x.wav").write_bytes(b"RIFF nope")
    (data / "m.jsonl").write_text('{"id": "x", "path": "x.wav", "duration": 1.0}\n')
    path = _suite(tmp_path, "variants: [{name: m, family: mulaw}]\nmetrics: [toy_snr]\n",
                  data / "m.jsonl")
    assert _run(path, tmp_path, "--no-report") == 1
    assert "nothing was evaluated" in capsys.readouterr().err


@pytest.mark.parametrize("body,expected", [
    ("variants: [{name: m, family: mulw}]\nmetrics: [toy_snr]\n",
     "unknown tokenizer family 'mulw' (did you mean 'mulaw'?)"),
    ("variants: [{name: m, family: mulaw}]\nmetrics: [toy_snrr]\n",
     "unknown metric 'toy_snrr' (did you mean 'toy_snr'?)"),
    ("variants: [{name: m, family: varstok, settings: {treshold: 0.7}}]\nmetrics: [toy_snr]\n",
     "unknown setting 'treshold' (did you mean 'threshold'?)"),
    ("variants: [{name: m, family: mulaw}]\nmetrics: [{id: stoi, settings: {extnded: true}}]\n",
     "unknown setting 'extnded'"),
])
def test_configuration_errors_are_2_with_a_suggestion(tmp_path: Path, capsys, body: str,
                                                      expected: str) -> None:
    path = _suite(tmp_path, body)
    assert _run(path, tmp_path) == 2
    assert expected in _one_line_error(capsys)
    assert not (tmp_path / "s.sqlite").exists()  # nothing ran


def test_usage_errors_are_2(tmp_path: Path, capsys) -> None:
    path = _suite(tmp_path, "variants: [{name: m, family: mulaw}]\nmetrics: [toy_snr]\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(path), "--workers", "-1"])
    assert exit_info.value.code == 2
    assert "--workers: must be 0 or more" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2
    assert "not found" in _one_line_error(capsys)
    assert main(["score", str(tmp_path / "nope"), str(tmp_path), "--metrics", "si_sdr"]) == 2
    assert "reference folder" in _one_line_error(capsys)


def _score_dirs(tmp_path: Path, n: int = 2, hyp_names: list[str] | None = None):
    ref, hyp = tmp_path / "ref", tmp_path / "hyp"
    ref.mkdir()
    hyp.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        clean = (0.1 * rng.standard_normal(16000)).astype(np.float32)
        sf.write(ref / f"u{i}.wav", clean, 16000)
        name = hyp_names[i] if hyp_names else f"u{i}"
        sf.write(hyp / f"{name}.wav", clean * 0.9, 16000)
    return ref, hyp


def test_score_codes(tmp_path: Path, capsys) -> None:
    ref, hyp = _score_dirs(tmp_path)
    assert main(["score", str(ref), str(hyp), "--metrics", "si_sdr"]) == 0
    assert main(["score", str(ref), str(hyp), "--metrics", "dnsmo"]) == 2
    assert "did you mean 'dnsmos'" in _one_line_error(capsys)
    assert main(["score", str(ref), str(tmp_path), "--metrics", "si_sdr"]) == 1  # 0 matched
    assert "nothing was evaluated" in capsys.readouterr().err


def test_score_with_unmatched_hypotheses_is_1(tmp_path: Path, capsys) -> None:
    ref, hyp = _score_dirs(tmp_path, hyp_names=["u0", "other"])
    assert main(["score", str(ref), str(hyp), "--metrics", "si_sdr"]) == 1
    assert "1 hypothesis file(s) without a reference" in capsys.readouterr().err


def test_dnsmos_is_the_group_of_its_four_outputs(tmp_path: Path) -> None:
    assert expand_metric_ids(["dnsmos"]) == ["dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak",
                                             "dnsmos_p808"]
    assert expand_metric_ids(["si_sdr", "pesq", "pesq_wb"]) == ["si_sdr", "pesq_wb", "pesq_nb"]
    assert set(METRIC_GROUPS["dnsmos"]) <= set(expand_metric_ids(["dnsmos"]))
    ref, hyp = _score_dirs(tmp_path)
    out = tmp_path / "r.json"
    main(["score", str(ref), str(hyp), "--metrics", "dnsmos", "--json", str(out)])

    assert sorted(json.loads(out.read_text())["metrics"]) == sorted(METRIC_GROUPS["dnsmos"])


def _all_actions(parser: argparse.ArgumentParser, path: str = "tokbench"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _all_actions(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_option_has_help_and_exit_codes_are_documented(capsys) -> None:
    missing = [f"{path} {action.dest}" for path, action in _all_actions(_parser())
               if not action.help]
    assert missing == []
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "exit codes:" in text and "2  usage or configuration error" in text


def test_trust_comes_from_the_command_line_and_is_recorded(tmp_path: Path, capsys,
                                                           monkeypatch) -> None:
    """A hostile VARSTok checkpoint in a suite: refused in one line naming the file and the
    flag (marker absent); with --trust-remote-checkpoints it is unpickled and the run's
    provenance says so."""
    import os
    import sqlite3

    import torch

    from bench.trust import TRUST_ENV

    class Touch:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'PWNED'}",))

    ckpt = tmp_path / "model.ckpt"
    torch.save({"state_dict": {}, "payload": Touch()}, ckpt)
    config = Path(__file__).resolve().parents[1] / "tokenizers_impl/varstok/pretrained/" \
        "varstok_tiny/config.yaml"
    body = (f"variants: [{{name: v, family: varstok, settings: {{config: {config}, "
            f"checkpoint: {ckpt}}}}}]\nmetrics: [toy_snr]\n")
    path = _suite(tmp_path, body)
    monkeypatch.delenv(TRUST_ENV, raising=False)
    assert _run(path, tmp_path, "--no-report") == 1
    out = capsys.readouterr().out
    reason = next(line for line in out.splitlines() if "variant v skipped" in line)
    assert str(ckpt) in reason and "--trust-remote-checkpoints" in reason
    assert not (tmp_path / "PWNED").exists()

    assert _run(path, tmp_path, "--no-report", "--trust-remote-checkpoints") == 1
    assert TRUST_ENV not in os.environ  # the flag lasts for one command
    assert (tmp_path / "PWNED").exists()
    con = sqlite3.connect(tmp_path / "s.sqlite")
    flags = [json.loads(row[0])["tokbench --trust-remote-checkpoints"]
             for row in con.execute("SELECT packages_json FROM runs ORDER BY id")]
    con.close()
    assert flags == ["off", "on"]
