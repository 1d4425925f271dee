"""Vivado HLS (2020.1 and older): the Vitis flow with ``vivado_hls -f`` and its own TCL template.

Vivado HLS has no ``-flow_target``; everything else (project layout, ``csynth.xml`` with ``DSP48E``,
``syn/verilog/``, the ``ap_ctrl_hs`` interface) is the same as :mod:`hls.backends.vitis`.
"""

from __future__ import annotations

from hls.backends.base import Setting
from hls.backends.vitis import Vitis


class Vivado(Vitis):
    name = "vivado"
    tool = "vivado_hls"
    template = "vivado/run_hls.tcl.j2"
    SETTINGS = {k: v for k, v in Vitis.SETTINGS.items() if k != "flow_target"} | {
        "export_format": Setting(str, "ip_catalog", "export_design -format", ("ip_catalog", "syn_dcp", "sysgen")),
    }
