"""Airflow around the product: ``dags_test.py`` (the one-process ``db migrate`` + ``dags test`` launcher that
``hnplus run`` starts by file path) and ``smoke`` (``airflow standalone`` driven over REST, ``make airflow-smoke``)."""
