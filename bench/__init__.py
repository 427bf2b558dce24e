"""Benchmarks with scale data (not tests): `python -m bench [sweep|startup|dms ...]`."""
