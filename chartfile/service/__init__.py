"""The service layer: commands and queries every entrypoint (CLI, web, API) calls."""
