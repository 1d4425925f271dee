"""Options of the hardware chain that ``p2s run``, ``p2s bench`` and ``p2s synth`` share."""

from __future__ import annotations

import argparse

from pipeline.stage import DEFAULT_HLS, FORMAL_MODES


def add_hls_argument(p: argparse.ArgumentParser) -> None:
    from hls.backends import BACKENDS

    p.add_argument("--hls", default=DEFAULT_HLS, choices=BACKENDS.names(),
                   help=f"HLS backend (default {DEFAULT_HLS}; static: our scheduler, FSM + datapath)")


def add_runner_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runner", default="local", choices=["local", "container", "docker"],
                   help="run the hardware chain's tools locally or in their container images (docker: the same as "
                        "container; build the images with p2s images build; without an engine: local, said so)")


def add_formal_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--formal", default="auto", choices=FORMAL_MODES,
                   help="the formal stage: prove the RTL meets the pinned contract for every input with "
                        "yosys-smtbmc (auto: bounded check where cheap, scalar designs; bmc: always, to the "
                        "bound; prove: k-induction; off)")
    p.add_argument("--formal-timeout", type=_positive_seconds, default=600.0, metavar="SECONDS",
                   help="the solver's time limit per task (default 600); past it the formal stage is skipped, "
                        "with the reason")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value
