"""Benchmarks: speed and recall targets of DESIGN section 8, each a module with ``main()`` that prints
its figures with the machine's details and returns True for PASS. Run ``python -m bench [NAME...]``."""
