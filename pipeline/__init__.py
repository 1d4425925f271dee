"""Proof2Silicon pipeline: task model, stages, compilers, runner, batch runs and the ``p2s`` CLI."""
