"""Options of the hardware chain that ``p2s run`` and ``p2s bench`` share."""

from __future__ import annotations

import argparse

from pipeline.stage import FORMAL_MODES


def add_formal_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--formal", default="auto", choices=FORMAL_MODES,
                   help="the formal stage: prove the RTL meets the pinned contract for every input with "
                        "yosys-smtbmc (auto: bounded check where cheap, scalar designs; bmc: always, to the "
                        "bound; prove: k-induction; off)")
