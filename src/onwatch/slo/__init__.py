"""Service level objectives: error budgets, night-time leniency, burn-rate alerts.

The maths here is pure (plain values in, plain values out, time passed in as
Unix seconds); the evaluator feeds it from the store and the writer, and the
web and CLI surfaces only read its :class:`~onwatch.slo.model.Evaluation`.
"""
