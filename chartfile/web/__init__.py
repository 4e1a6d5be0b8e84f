"""The clerk's web workstation (FastAPI + Jinja2 + vendored htmx) and the JSON API, over the service layer."""
