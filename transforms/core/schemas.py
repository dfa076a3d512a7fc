"""Warehouse schema names that more than one stage must agree on, declared once."""

#: Where the build writes the marts and the audit validates them, before publish promotes them to ``marts``.
CANDIDATE_SCHEMA = "marts_candidate"
