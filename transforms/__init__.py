"""hnplus: the plan as data, city reports and open-data feeds in, scored league tables out.

This package holds all the logic; Airflow DAGs in ``dags/`` only wire it together. The data flows one way
through its stages: ``ingest`` -> ``validate`` -> ``build`` -> ``publish``, run in order by ``pipeline`` and
offered to operators by ``cli``; ``catalog`` (the plan in ``seeds/``) and ``core`` (file, lock and period
primitives) sit beneath them all.
"""
