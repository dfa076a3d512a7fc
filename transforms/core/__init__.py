"""Primitives every stage shares: where files live, atomic file and folder moves, locks, periods, the formula guard.

This package imports nothing else of the project, so any stage can use it without pulling in another stage.
"""
