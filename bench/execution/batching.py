"""Length buckets: group pending utterances so padded batches waste little compute."""

from __future__ import annotations

from bench.data.manifest import Utterance


def length_buckets(ordered: list[Utterance], seconds: dict[str, float], done: set[str],
                   max_items: int, max_seconds: float) -> list[list[Utterance]]:
    """Consecutive runs of ``ordered`` (sorted by duration) not yet ``done``, each holding at
    most ``max_items`` utterances and at most ``max_seconds`` of padded audio."""
    batches: list[list[Utterance]] = []
    current: list[Utterance] = []
    for utt in (u for u in ordered if u.id not in done):
        padded = (len(current) + 1) * seconds[utt.id]
        if current and (len(current) >= max_items or padded > max_seconds):
            batches.append(current)
            current = []
        current.append(utt)
    if current:
        batches.append(current)
    return batches
