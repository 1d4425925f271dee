"""Verification: the Dafny adapter (2.x legacy CLI and 3.x/4.x CLI), the dialect bridge, structured
diagnostics, the integrity gate and the ``verify`` stage. Entry points are in :mod:`verifiers.api`."""
