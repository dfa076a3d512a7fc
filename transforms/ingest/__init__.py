"""Ingest: what arrives from outside becomes raw tables, and nothing received is ever lost.

``reports/`` lands and reads the cities' report files into ``raw.report_files``, ``raw.report_rows`` and
``quarantine.report_rows``; ``feeds/`` fetches the open-data feeds into an archive of snapshots and loads them
into ``raw.feed_records`` and ``meta.feed_status``. Both depend only on ``transforms.core`` and
``transforms.catalog``.
"""
