"""Synthesize one utterance with libespeak-ng in a fresh process and write raw int16 to stdout.

libespeak-ng keeps synthesis state (filters, its libc ``rand`` stream) across calls and cannot be
reset, so each utterance runs in its own process: the audio then depends only on its own
request, which makes the synthetic set byte-reproducible. Request (JSON on stdin):
``{"library", "data_path", "voice", "text", "rate", "rand_seed"}``. Output: one JSON header line
``{"sample_rate", "version", "samples", "error"}`` followed by the samples as little-endian int16.
Only the standard library is imported so the process starts fast.
"""

from __future__ import annotations

import ctypes
import json
import sys
from array import array

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_PARAM_RATE = 1
EE_OK = 0

SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def _bind(lib: ctypes.CDLL) -> None:
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
        ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synchronize.restype = ctypes.c_int


def _seed_libc_rand(seed: int) -> None:
    """espeak-ng draws noise from libc ``rand``; seeding it makes the output reproducible."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:  # platforms without a process-wide libc handle: output may then vary
        return
    libc.srand(ctypes.c_uint(seed & 0xFFFFFFFF))


def synthesize(request: dict) -> tuple[dict, bytes]:
    """Run one request; returns (header, int16 bytes)."""
    lib = ctypes.CDLL(request["library"])
    _bind(lib)
    data_path = request.get("data_path")
    sample_rate = lib.espeak_Initialize(
        AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode() if data_path else None, 0
    )
    if sample_rate <= 0:
        return {"error": f"espeak_Initialize failed ({sample_rate})"}, b""
    version = (lib.espeak_Info(None) or b"").decode()
    samples = array("h")

    def collect(wav: ctypes.POINTER(ctypes.c_short), count: int, _events: int) -> int:
        if wav and count > 0:
            samples.extend(wav[:count])
        return 0

    callback = SynthCallback(collect)
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(request["voice"].encode()) != EE_OK:
        return {"error": f"unknown espeak-ng voice {request['voice']!r}"}, b""
    lib.espeak_SetParameter(ESPEAK_PARAM_RATE, int(request["rate"]), 0)
    _seed_libc_rand(int(request["rand_seed"]))
    text = request["text"].encode("utf-8") + b"\0"
    status = lib.espeak_Synth(text, len(text), 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
    lib.espeak_Synchronize()
    if status != EE_OK:
        return {"error": f"espeak_Synth failed ({status})"}, b""
    if sys.byteorder != "little":
        samples.byteswap()
    header = {"sample_rate": sample_rate, "version": version, "samples": len(samples)}
    return header, samples.tobytes()


def main() -> None:
    header, payload = synthesize(json.loads(sys.stdin.read()))
    out = sys.stdout.buffer
    out.write(json.dumps(header).encode() + b"\n")
    out.write(payload)
    out.flush()


if __name__ == "__main__":
    main()
