# hnplus image: the project's code and pinned dependencies on python:3.11-slim, used by every Airflow service
# and by the open-data portal in docker-compose.yml. Build: docker build -t hnplus:local .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/hnplus/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    HNPLUS_DATA_DIR=/data \
    GX_ANALYTICS_ENABLED=False

# A CJK font for the bulletins (通报): Typst embeds a subset of it; without one the bulletins are skipped.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

# Same uid/gid convention as the official Airflow image (uid 50000, group 0), so volume permissions carry over.
RUN useradd --uid 50000 --gid 0 --create-home --home-dir /home/airflow airflow \
    && mkdir -p /opt/airflow/logs /opt/hnplus /data \
    && chown -R 50000:0 /opt/airflow /data

WORKDIR /opt/hnplus

# Dependencies first (cached layer): everything pinned by requirements/constraints.txt, with the "deploy" extra
# (Postgres provider and drivers: psycopg2 for the sync engine, asyncpg for the API server's async engine; Celery
# provider, celery and redis for the profile "celery"): the same set `make deploy-local` installs.
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY transforms ./transforms
COPY expectations ./expectations
# Editable install: transforms.core.paths resolves seeds/ and sql/ relative to the source tree in /opt/hnplus.
RUN pip install -c requirements/constraints.txt -e '.[deploy]' \
    && pip check
# The score step's compiled kernel (transforms/build/kernel.py), compiled at build time into a cache the airflow
# user (group 0) may write, so no task compiles it
ENV NUMBA_CACHE_DIR=/opt/hnplus/.numba-cache
RUN python -c "from transforms.build.kernel import warm; warm()" && chmod -R g+rwX /opt/hnplus/.numba-cache

COPY seeds ./seeds
COPY sql ./sql
COPY dags ./dags
# tools/: the Airflow launcher of `hnplus run` (one Airflow process for db migrate + dags test) and the local
# open-data portal of docker-compose.yml (`python -m tools.portal`)
COPY tools ./tools

USER 50000
ENTRYPOINT ["airflow"]
CMD ["version"]
