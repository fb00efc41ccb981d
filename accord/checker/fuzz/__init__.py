"""Fault search: random runs of a protocol drawn by hypothesis, shrunk to a small failing story.

Start with :func:`accord.checker.fuzz.engine.fuzz`; :mod:`~accord.checker.fuzz.stepper`
holds one run (no hypothesis in it), :mod:`~accord.checker.fuzz.strategies` the
hypothesis side, :mod:`~accord.checker.fuzz.budgets` the ``--fault-budget`` overrides
and :mod:`~accord.checker.fuzz.replay` the replay of saved traces.
"""
