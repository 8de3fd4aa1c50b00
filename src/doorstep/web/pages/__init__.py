"""The dashboard's pages: server-rendered HTML, live parts refreshed by HTMX."""
