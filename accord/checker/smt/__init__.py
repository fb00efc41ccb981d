"""The Z3 engine: bounded model checking and k-induction at fixed constants.

* :func:`~accord.checker.smt.bmc.bmc` — every safety violation within K states,
  shortest first, each replayed through the explicit semantics; nothing found
  is UNKNOWN, never HOLDS.
* :func:`~accord.checker.smt.kind.prove` — k-induction: the invariants HOLD for
  all depths, or a counterexample to induction shows why they are not inductive.
* :func:`~accord.checker.smt.encode.encode` — the transition system as Z3
  formulas; specs outside the fragment get an ACC410 diagnostic.

Modules: ``values`` (symbolic values), ``channels`` (channel contents),
``exprs`` and ``stmts`` (symbolic execution of the IR), ``faults``,
``fragment`` (what is refused), ``encode``, ``bmc``, ``kind``, ``selfcheck``
(one-step agreement with the explicit semantics, for tests).
"""

from accord.checker.smt.bmc import bmc
from accord.checker.smt.encode import encode
from accord.checker.smt.kind import prove

__all__ = ["bmc", "encode", "prove"]
