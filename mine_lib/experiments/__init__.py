"""The book's experiments: one module per study, plus the book's helpers.

Studies: ``theory`` (chapters 01-03), ``sweeps`` (04), ``equitability`` (05), ``loss_study``
(06), ``gan`` with ``modes`` and ``classifier`` (07), ``ali`` with ``image_metrics`` (08),
``ib`` (09), ``benchmark`` (10). Helpers: ``profiles`` (run sizes), ``results`` (each
chapter's JSON), ``plots`` (figure style), ``evidence`` (the rule of evidence: decisions and
their sentences), ``scorecard`` (the reproduction scorecard), ``compare`` (two runs).

Layer: the book's experiments. Each module imports the library (``mine_lib``) and other
experiment modules; the library never imports this package, and ``import mine_lib`` loads
none of it. Importing this package loads no study: import the one you need.
"""
