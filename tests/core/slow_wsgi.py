"""A WSGI application for the worker test: `/slow` holds its thread for a while, `/health` answers at once."""

import time

SLOW_SECONDS = 1.5


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(SLOW_SECONDS)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]
