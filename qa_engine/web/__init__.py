"""The web app: FastAPI JSON API and Jinja2 pages. A route parses its input, calls a service and
renders what the service returns; who may do what is decided by the services. The store is reached
only through the request's unit of work (`qa_engine.web.db` over `qa_engine.store.db`): see
pyproject.toml's contracts."""
