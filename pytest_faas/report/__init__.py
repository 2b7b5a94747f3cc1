"""The HTML report of a `pytest --faas` run: entries built from plain data (`records`), one self-contained page
written from them (`writer`, with ``page.html``, ``page.css`` and ``page.js`` beside it)."""
