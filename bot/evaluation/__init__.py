"""The evaluation harness: golden sets, per-case metrics, configs compared, reports."""
