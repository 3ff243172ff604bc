"""``harness mutate``: does a safe scenario have teeth? Derive mutants that should race
(:mod:`.derive`, :mod:`.ast_mutants`), run them through the public API (:mod:`.run`), and
report which ones the scenario kills (:mod:`harness.report.mutation`)."""
