"""Env files: the environment variables a service runs with, kept out of the repository's JSON.

The format is the common ``.env`` one, read strictly: each line is ``NAME=value`` (``export NAME=value``
too), blank, or a ``#`` comment. A value may be quoted: ``'...'`` as written, ``"..."`` with ``\\n``,
``\\"`` and ``\\\\`` escapes; an unquoted value is trimmed and ends at `` #``. Every line that is not one of
these is a located problem (``file:line``), all of them at once.

Example:
    >>> load_env_file(".env")                 # doctest: +SKIP
    {'API_URL': 'http://localhost:9000', 'LOG_LEVEL': 'debug'}
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ManifestError, ManifestErrors
from ..protocol import ENV_NAME_PATTERN, MAX_ENV_BYTES, MAX_ENV_VARS, env_name_problem, env_size_problem

_LINE = re.compile(rf"\s*(?:export\s+)?({ENV_NAME_PATTERN})\s*=\s*(.*?)\s*")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


def _value(raw: str) -> str | None:
    """The value of the text after ``=``, or None when its quotes are not closed."""
    if raw[:1] == "'":
        end = raw.find("'", 1)
        return None if end < 0 or raw[end + 1:].strip()[:1] not in ("", "#") else raw[1:end]
    if raw[:1] == '"':
        out, i = [], 1
        while i < len(raw):
            char = raw[i]
            if char == "\\" and i + 1 < len(raw):
                out.append(_ESCAPES.get(raw[i + 1], "\\" + raw[i + 1]))
                i += 2
                continue
            if char == '"':
                return "".join(out) if raw[i + 1:].strip()[:1] in ("", "#") else None
            out.append(char)
            i += 1
        return None
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def _problem(raw: bytes) -> str | None:
    """What makes a line's bytes unusable as a variable, whatever its shape."""
    if b"\0" in raw:
        return "remove the NUL character: no environment variable can hold one"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "the file must be UTF-8 text; save it as UTF-8"
    return None


def load_env_file(path: Path | str) -> dict[str, str]:
    """``{NAME: value}`` of an env file, later lines winning.

    Raises:
        ManifestError: the file cannot be read. ManifestErrors: its bad lines, each with its number.
    """
    path = Path(path)
    limit = MAX_ENV_BYTES * 2
    try:
        # A regular file only (a FIFO would block the open, /dev/zero never end), and never more read than
        # the limit allows: the size is judged on what was read, not on what stat says.
        if not path.is_file():
            raise ManifestError(str(path), "", "an env file of NAME=value lines",
                                "missing" if not path.exists() else "not a regular file",
                                "give --env-file an existing file" if not path.exists() else
                                "give --env-file a plain file (not a pipe, device or folder)")
        with path.open("rb") as stream:
            text = stream.read(limit + 1)
    except OSError as exc:
        raise ManifestError(str(path), "", "an env file of NAME=value lines", f"unreadable: {exc.strerror}",
                            "give --env-file an existing file") from None
    if len(text) > limit:
        raise ManifestError(str(path), "", f"an env file of at most {limit} bytes", f"more than {limit} bytes")
    env: dict[str, str] = {}
    errors = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.decode("utf-8", "replace")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = _LINE.fullmatch(line)
        value = _value(found.group(2)) if found else None
        problem = _problem(raw)
        if value is None or problem:
            hint = problem or ("close the value's quote" if found else
                               "a name is letters, digits and _, not starting with a digit, then = and the value")
            errors.append(ManifestError(f"{path}:{number}", "", "NAME=value", line.strip()[:80], hint))
            continue
        env[found.group(1)] = value
        if refused := env_name_problem(found.group(1)):  # the runner's own: refused before anything starts
            errors.append(ManifestError(f"{path}:{number}", "", "a variable of the service's own",
                                        found.group(1), refused))
        elif len(env) == MAX_ENV_VARS + 1:  # said once, at the first line past the bound
            errors.append(ManifestError(f"{path}:{number}", "", f"at most {MAX_ENV_VARS} variables",
                                        f"variable {len(env)}", "move what the code does not need out of the file"))
    if not errors and (too_large := env_size_problem(env)):
        errors.append(ManifestError(str(path), "", f"at most {MAX_ENV_BYTES} bytes of variables", too_large))
    if errors:
        raise ManifestErrors(errors[:50])
    return env
