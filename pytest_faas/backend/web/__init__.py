"""The HTTP side of the platform: WSGI app, servers, connections, request bodies, the in-process adapter."""
