"""Facts of the two Dafny dialects that the task model and the verifiers share (ground of the layers).

The task model refuses a signature whose parameter the Dafny 2.3 bridge would have to rename (the test
vectors are matched by name); :mod:`verifiers.bridge` does the renaming. Both read the set here.
"""

from __future__ import annotations

DIALECTS = ("dafny3", "dafny4")

# Identifiers in Dafny 4 that Dafny 2.3.0 rejects as names ("ident expected"; each checked with it): `array1`
# and `array1?` are its rank-1 array type names (Dafny 4 reserves only array2, array3, ...), `where` is
# reserved without a use, `protected` is a function modifier there (left alone in that place) and `free` marks
# a clause Dafny 2.3 assumes without proof: renamed, a `free invariant` is a parse error, as in Dafny 4.
# (`inductive`, `copredicate` and `colemma` are too, but they mark a program as the old dialect.)
DAFNY23_RESERVED = frozenset({"array1", "array1?", "where", "protected", "free"})
