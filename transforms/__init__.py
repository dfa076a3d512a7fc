"""hnplus: the plan as data, city reports and open-data feeds in, scored league tables out.

This package holds all the logic; Airflow DAGs in ``dags/`` only wire it together.
"""

METHOD_VERSION = "0.1.0"
