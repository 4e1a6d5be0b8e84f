"""Benchmark scripts: measured numbers, not product code; not installed."""
