"""Benchmarks and the synthetic alliance they run on (not part of the test suite)."""
