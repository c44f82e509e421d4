"""Counting: how a report becomes part of the totals. Intake (with its quiet abuse
checks and the rate limit it enforces), the stream fold into provisional totals, the
scheduled close, what the totals routes show, publishing final versions, and staff
decisions that change what counts (voids and reinstatements). The invariants that make
counts exact are stated in ``folding`` and ``tallying``. Imports the domain, storage,
runtime and privacy; never the web.
"""
