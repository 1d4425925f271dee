"""The static-scheduled open backend: our own scheduler from the typed MLIR of :mod:`hls.c_to_mlir` to an FSM
with a datapath, behind the ``ap_ctrl`` block protocol with ``ap_memory`` ports (the interface Vitis HLS gives,
which the co-simulation already drives).

The steps, one module each: :mod:`hls.static.ir` reads the MLIR (``func``/``cf``/``arith``/``memref``) into
blocks and operations; :mod:`hls.static.regions` cuts the control-flow graph into acyclic *regions* (one per
loop header, plus the function's entry) whose branches are if-converted into predicates; :mod:`hls.static.schedule`
places each region's operations in clock cycles, chaining combinational operations under a clock budget and
giving each memory one access per port and cycle; :mod:`hls.static.verilog` writes the module.
"""
