"""Benchmarks of PPID Bot: scripts that measure and print (not tests; pytest never collects them).

Run them all with ``python -m benchmarks.run`` (see ``benchmarks/README.md``).
"""
