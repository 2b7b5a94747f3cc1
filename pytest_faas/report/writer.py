"""Write the HTML report: one self-contained file (the page's CSS and script inline, the run as one JSON
blob), readable offline and from a CI artefact.

The page's files ship beside this module (``page.html``, ``page.css``, ``page.js``). User text never becomes
markup: it travels inside the JSON blob, where ``<``, ``>`` and ``&`` are escaped so that a log holding
``</script>`` cannot close the blob's tag, and the script puts it in the page with ``textContent`` only.
"""

from __future__ import annotations

import html
import json
import os
import re
from importlib import resources
from pathlib import Path

from .records import order

# JSON that is safe inside a <script> element: nothing in it can end the element or open a comment.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})
_PLACEHOLDER = re.compile(r"\{\{(title|css|data|js)\}\}")


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def data_blob(run: dict, entries: list[dict]) -> str:
    """The run and its entries (failures first) as compact JSON, safe to place inside a <script> element."""
    text = json.dumps({"run": run, "tests": order(entries)}, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=str)
    return text.translate(_SCRIPT_SAFE)


def render(run: dict, entries: list[dict]) -> str:
    """The whole page as text."""
    values = {"title": html.escape(str(run.get("title") or "pytest-faas report")), "css": _asset("page.css"),
              "data": data_blob(run, entries), "js": _asset("page.js")}
    page = _asset("page.html")
    missing = sorted(set(values) - set(_PLACEHOLDER.findall(page)))
    if missing:
        raise ValueError(f"page.html lacks the placeholders {missing}")
    # One pass: what is put in (user text inside the data) is never searched for placeholders again.
    page = _PLACEHOLDER.sub(lambda match: values[match.group(1)], page)
    return page


def write(path: str | os.PathLike, run: dict, entries: list[dict]) -> Path:
    """Write the report to ``path`` in one step (a reader never sees half a file); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render(run, entries)
    # A name of this process beside the target, opened as any file (so the umask applies, as to pytest's own
    # reports), then renamed over it.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
