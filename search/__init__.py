"""Search: the query façade, the command-line interface and the web UI."""
