"""The web app: FastAPI JSON API and Jinja2 pages."""
