"""Benchmarks (run with `.venv/bin/python -m bench.<name>`), on a throw-away test database."""
