"""C → RTL: HLS backends behind one interface, the container runner, co-simulation and synthesis estimates.

Entry points: :func:`hls.backends.get_backend` (``synthesize(c_source, top, options, work_dir) -> RtlResult``),
the stages :func:`hls.stage.rtl_stage`, :func:`hls.cosim_stage.cosim_stage`,
:func:`hls.estimate_stage.estimate_stage`, and the doctor checks :func:`hls.doctor.checks`.
"""
