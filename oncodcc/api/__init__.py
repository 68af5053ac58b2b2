"""The HTTP API (django-ninja), mounted at /api/v1/: session authentication with CSRF, every status declared."""
