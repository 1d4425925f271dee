"""The one Dafny front end: tokens, syntax tree, parser and type checker, shared by the width proof and the
compilers (the Dafny → Python model in :mod:`hls.dafny_python` reads the same tree).

Modules: :mod:`.lexer` (tokens), :mod:`.ast` (the tree), :mod:`.parser` (text → tree, with the source's
dialect), :mod:`.checker` (names and types), :mod:`.walk` (traversal), :mod:`.printer` (tree → Dafny text),
:mod:`.ghost_free` (the resolved, ghost-free program Dafny prints, the compilers' input), :mod:`.errors`.
"""
