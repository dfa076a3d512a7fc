"""Tools around the product, not part of it (not in the wheel): the demo, a local open-data portal, the synthetic
sample reports, benchmarks, the Airflow launcher and smoke check, the CI secret scan.

Tools may import ``transforms``; nothing in ``transforms`` imports ``tools`` (tests/architecture enforces it).
"""
