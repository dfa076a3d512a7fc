"""Benchmarks of the pipeline at national scale (issue 9): ``python -m tools.bench --scale L``.

S is the Henan sample through the real intake; L is 333 cities x 41 quarters of HNPLUS-R1 CSV reports plus
20 million record-level feed rows, run through the project's own SQL models on a bench catalogue, and compared
with a naive pandas pipeline and with DuckDB's own scan-and-aggregate floor.
"""
