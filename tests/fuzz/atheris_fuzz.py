"""Coverage-guided fuzzing of every papo decoder with atheris (a long run, outside pytest).

Usage (see docs/fuzzing.md)::

    pip install atheris
    PYTHONPATH=src:tests python tests/fuzz/atheris_fuzz.py -max_total_time=600 corpus/

Each input's first byte picks the decoder, the rest is the payload; a crash (an
exception, or a broken decoder contract) stops the run and leaves the input in
``crash-*`` for a regression test.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from fuzz.decoders import DECODERS, check


def test_one_input(data: bytes) -> None:
    """atheris entry point: one decoder, one payload."""
    if not data:
        return
    decoder = DECODERS[data[0] % len(DECODERS)]
    check(decoder, data[1:])


def main() -> None:
    """Print the decoders under test, then fuzz until atheris' limits stop it."""
    print("fuzzing:", ", ".join(decoder.name for decoder in DECODERS), flush=True)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
