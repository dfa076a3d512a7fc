"""Open-data feeds: registry, a fault-tolerant HTTP client, raw snapshots, and loading into DuckDB.

Why: the score uses a few public lists (pilot programmes, 5A scenic areas, admin codes) and one SYNTHETIC
maker-space registry. Remote portals fail in many ways; a failed fetch must never stop the nightly run
nor replace good data with bad. So every fetch either produces a new validated snapshot (``fresh``),
confirms the current one (``not_modified``), or keeps the last good snapshot in use (``stale``, with the
reason). Every response is archived raw with its headers and fetch time; snapshot ids are derived from the
content hash so re-fetching identical content is idempotent.

The flow: ``registry`` (seeds/feeds.csv) -> ``client`` (HTTP) -> ``parse`` (CSV or CKAN pages) -> ``archive``
(snapshots on disk) via ``fetch.fetch_feed``; then ``derive`` (source rows to facts per city and period) and
``load.load_feeds`` into ``raw.feed_records`` and ``meta.feed_status``.

No Airflow imports here: the DAG maps one task per ``list_feeds()`` entry and calls ``fetch_feed`` /
``load_feeds``. The portal base URL comes from ``HNPLUS_PORTAL_URL`` (the DAG may resolve the Airflow
connection ``hnplus_portal`` and pass it as ``base_url``).
"""
