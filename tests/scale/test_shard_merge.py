"""--shard i/N and `tokbench merge`: shards by a stable hash, merged shards equal a single run
row for row (per-utterance values, token streams and corpus ratios of sums; integers exact,
floats to 1e-9 relative since shards batch differently), and every kind of
unmergeable input is refused with a message saying why."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from scale_toys import assert_same_rows, store_rows, tone_suite, write_tone_set

from bench.cli import main
from bench.merge import MergeError, merge_stores
from bench.runner import run_suite
from bench.shard import Shard, parse_shard, shard_of

VARIANTS = [
    {"name": "mulaw8k", "family": "mulaw"},
    {"name": "spans", "family": "mulaw_spans"},
    {"name": "nan-on-loud", "family": "mulaw_nan"},
    {"name": "missing-weights", "family": "broken"},
]


def test_shard_assignment_is_a_stable_partition() -> None:
    ids = [f"utt{i:04d}" for i in range(300)]
    shards = [Shard(i, 3) for i in range(3)]
    parts = [[u for u in ids if s.owns(u)] for s in shards]
    assert sorted(u for p in parts for u in p) == ids  # every id in exactly one shard
    assert all(60 < len(p) < 140 for p in parts)  # and roughly balanced
    assert [u for u in reversed(ids) if shards[1].owns(u)] == parts[1][::-1]  # order-free
    # pinned: the assignment is part of the on-disk contract of shard stores
    # pinned (sha256 of the id, first 8 bytes big-endian, mod N): stores written by one
    # version of tokbench must merge with shards run by another
    ids_pinned = ("tone0", "tone1", "tone2", "1089_134686_000001_000001")
    assert [shard_of(u, 3) for u in ids_pinned] == [2, 1, 0, 1]
    assert shard_of("tone0", 1) == 0
    assert parse_shard("2/3") == Shard(2, 3)
    for bad in ("3/3", "-1/3", "1", "a/b", "0/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    tmp_path = tmp_path_factory.mktemp("sharded")
    manifest = write_tone_set(tmp_path / "data", n=12, corrupt=True)
    single = tone_suite(tmp_path, manifest, VARIANTS, store="single.sqlite")
    run_suite(single, progress=False, log=lambda _: None)
    stores = []
    for i in range(3):
        store = tmp_path / f"shard{i}.sqlite"
        run_suite(single, store_path=store, progress=False, log=lambda _: None,
                  shard=Shard(i, 3))
        stores.append(store)
    return tmp_path / "single.sqlite", stores, manifest


def test_three_shards_merged_equal_a_single_run(sharded, tmp_path: Path) -> None:
    single, stores, _ = sharded
    sizes = [sum(1 for r in store_rows(s)["utterances"] if r[1] == "mulaw8k") for s in stores]
    assert sum(sizes) == 13 and all(n > 0 for n in sizes)  # 12 tones + 1 corrupt file

    result = merge_stores(stores, tmp_path / "merged.sqlite", log=lambda _: None)
    merged, expected = store_rows(tmp_path / "merged.sqlite"), store_rows(single)
    assert_same_rows(merged, expected)  # tokens exact, metric floats to 1e-9 relative
    # the comparison is not vacuous: real values and corpus ratios are there
    assert len(expected["results"]) > 100
    corpus = {(r[1], r[2], r[3]): r[4] for r in expected["corpus_results"]}
    assert corpus[("mulaw8k", "tokens_per_s", "corpus")] == 8000.0
    assert result.rows["utterances"] == len(expected["utterances"])
    con = sqlite3.connect(tmp_path / "merged.sqlite")
    assert con.execute("SELECT status, config_hash FROM runs").fetchall() == [
        ("complete", sqlite3.connect(single).execute("SELECT config_hash FROM runs")
         .fetchone()[0])]


def test_merge_refuses_what_does_not_add_up(sharded, tmp_path: Path) -> None:
    single, stores, manifest = sharded
    out = tmp_path / "m.sqlite"
    with pytest.raises(MergeError, match=r"missing shard\(s\) 2/3"):
        merge_stores(stores[:2], out)
    assert not out.exists()
    partial = merge_stores(stores[:2], out, allow_partial=True, log=lambda _: None)
    assert any("partial" in w for w in partial.warnings)
    with pytest.raises(MergeError, match="exists"):
        merge_stores(stores, out)
    with pytest.raises(MergeError, match="not a shard run"):
        merge_stores([single, *stores], tmp_path / "m2.sqlite")
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(stores[0].read_bytes())
    with pytest.raises(MergeError, match="duplicate shard 0/3"):
        merge_stores([stores[0], copy, *stores[1:]], tmp_path / "m3.sqlite")
    other = tone_suite(tmp_path, manifest, VARIANTS[:1], store="other.sqlite")
    run_suite(other, progress=False, log=lambda _: None, shard=Shard(0, 3))
    with pytest.raises(MergeError, match="config hash"):
        merge_stores([tmp_path / "other.sqlite", *stores[1:]], tmp_path / "m4.sqlite")


def test_merge_refuses_conflicting_values(sharded, tmp_path: Path) -> None:
    _, stores, _ = sharded
    # Forge a shard that also holds (a changed copy of) one of shard 0's utterances.
    forged = tmp_path / "forged.sqlite"
    forged.write_bytes(stores[1].read_bytes())
    src = sqlite3.connect(stores[0])
    row = src.execute("SELECT * FROM utterances WHERE variant='mulaw8k' AND status='ok' "
                      "LIMIT 1").fetchone()
    con = sqlite3.connect(forged)
    (run_id,) = con.execute("SELECT max(id) FROM runs").fetchone()
    con.execute("INSERT INTO utterances VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, *row[1:6], row[6] + 1.0, *row[7:]))
    con.commit()
    con.close()
    with pytest.raises(MergeError, match=f"conflicting values for utterances row .*{row[3]}"):
        merge_stores([stores[0], forged, stores[2]], tmp_path / "m.sqlite")


def test_cli_shard_runs_and_merge(tmp_path: Path, monkeypatch, capsys) -> None:
    manifest = write_tone_set(tmp_path / "data", n=6)
    suite_yaml = tmp_path / "suite.yaml"
    suite_yaml.write_text(
        "name: cli-shards\n"
        f"datasets: [{{name: tones, manifest: {manifest}}}]\n"
        "variants: [{name: mulaw8k, family: mulaw}]\n"
        "metrics: [toy_snr, tokens_per_s]\n"
        "batch: {workers: 0}\n"
        f"store: {tmp_path / 'runs' / 'tb.sqlite'}\n"
        f"report_dir: {tmp_path / 'reports'}\n")
    for i in range(2):
        assert main(["run", str(suite_yaml), "--shard", f"{i}/2", "--no-progress"]) == 0
    stores = sorted((tmp_path / "runs").glob("tb.shard-*-of-2.sqlite"))
    assert [s.name for s in stores] == ["tb.shard-0-of-2.sqlite", "tb.shard-1-of-2.sqlite"]
    assert not (tmp_path / "reports").exists()  # shards leave the report to merge
    out = tmp_path / "runs" / "merged.sqlite"
    assert main(["merge", *map(str, stores), "--out", str(out)]) == 0
    assert (tmp_path / "reports" / "cli-shards" / "index.html").exists()
    assert len(store_rows(out)["utterances"]) == 6
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["merge", str(stores[0]), "--out", str(tmp_path / "x.sqlite")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "missing shard(s) 1/2" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(suite_yaml), "--shard", "2/2"])
    assert exit_info.value.code == 2


def test_a_shard_resumes_its_own_run_only(tmp_path: Path) -> None:
    from bench.runner import RunInterrupted

    manifest = write_tone_set(tmp_path / "data", n=9)
    suite = tone_suite(tmp_path, manifest, VARIANTS[:1], max_items=1)
    store = tmp_path / "s0.sqlite"
    with pytest.raises(RunInterrupted):
        run_suite(suite, store_path=store, progress=False, log=lambda _: None,
                  shard=Shard(0, 2), stop_after_batches=1)
    with pytest.raises(ValueError, match="evaluated shard 0/2, not 1/2"):
        run_suite(suite, store_path=store, resume=True, progress=False, log=lambda _: None,
                  shard=Shard(1, 2))
    run_suite(suite, store_path=store, resume=True, progress=False, log=lambda _: None,
              shard=Shard(0, 2))
    rows = [r for r in store_rows(store)["utterances"] if r[1] == "mulaw8k"]
    assert sorted(r[2] for r in rows) == sorted(f"tone{i}" for i in range(9)
                                                if Shard(0, 2).owns(f"tone{i}"))


def test_merged_store_keeps_every_saved_reconstruction(sharded, tmp_path: Path) -> None:
    """The merged report plays the shards' audio: files are copied beside the merged store
    under its own run folder, rows rewritten, nothing missing; a lost shard file is a warning."""
    from bench.report.media import copy_audio
    from bench.store import Store

    single, stores, _ = sharded
    out = tmp_path / "elsewhere" / "merged.sqlite"
    out.parent.mkdir()
    merge_stores(stores, out, log=lambda _: None)
    con_single, con_merged = sqlite3.connect(single), sqlite3.connect(out)
    query = "SELECT dataset, variant, utterance, frames, bytes FROM audio_files ORDER BY 1, 2, 3"
    expected = con_single.execute(query).fetchall()
    assert len(expected) > 20  # references and reconstructions of several variants
    assert con_merged.execute(query).fetchall() == expected
    paths = [p for (p,) in con_merged.execute("SELECT path FROM audio_files")]
    assert all(p.startswith("tokbench_audio/run1/") and (out.parent / p).is_file() for p in paths)
    store = Store(out)
    try:
        entries, problems = copy_audio(store, 1, tmp_path / "report")
    finally:
        store.close()
    assert len(entries) == len(expected) and problems == []

    # one shard loses a file: its row is dropped and the merge says so
    (row,) = sqlite3.connect(stores[0]).execute("SELECT path FROM audio_files LIMIT 1")
    (stores[0].parent / row[0]).rename(tmp_path / "moved.flac")
    try:
        warnings: list[str] = []
        result = merge_stores(stores, tmp_path / "lossy.sqlite", log=warnings.append)
    finally:
        (tmp_path / "moved.flac").rename(stores[0].parent / row[0])
    assert result.rows["audio_files"] == len(expected) - 1
    assert any("1 saved audio file(s)" in w and "shard0.sqlite" in w for w in warnings)
