"""Local deployment of the docker-compose.yml topology without Docker (see docs/deployment.md)."""
