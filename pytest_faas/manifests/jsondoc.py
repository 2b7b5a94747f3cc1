"""Read FaaS JSON documents and locate their problems: line and column, JSON paths, pydantic errors.

`manifest`, `servicefile` and `mockfile` keep the models; this module keeps their common base and the
plumbing that turns whatever goes wrong while reading a file into `ManifestError`s that name the file, the
JSON path (``modules[0].functions[1].input[0].type``), what was expected, what was found and, where one is
close, a "did you mean" hint.

Models raise their own cross-field problems with `fail(problem(...), ...)`. Each problem carries a path
*relative to the model that raised it*, so a duplicate function name points at
``modules[0].functions[2].name`` rather than at the whole module.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ..errors import ManifestError, ManifestErrors

Loc = tuple[Any, ...]


class Shown(str):
    """A `found` value that renders without quotes: ``found nothing``, ``found [1, 2, ...]``."""

    def __repr__(self) -> str:
        return str(self)


ABSENT = Shown("nothing")
INTERNAL = "a document pytest-faas can read"  # the safety net's wording; the fuzz tests assert it never shows
_MAX_FOUND = 80
# Deeper JSON is refused where it is read: a case's inputs are copied and serialized recursively on their
# way to the function, and Python's recursion limit (1000 frames) is shared by every caller on the way.
MAX_DEPTH = 100

# pydantic's own error types, worded as "expected ..." for people who write JSON, not Python.
_EXPECTED = {
    "missing": "a value (this key is required)",
    "string_type": "a string",
    "string_too_short": "a non-empty string",
    "string_unicode": "valid Unicode text",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
    "none_required": "null",
    "recursion_loop": "a less deeply nested value",
}


class PlatformModel(BaseModel):
    """A platform document: unknown keys are ignored, as the SDK ignores them; a null list is an empty one."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _null_lists_are_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            lists = {f.alias or n for n, f in cls.model_fields.items() if f.default_factory is list}
            data = {k: ([] if v is None and k in lists else v) for k, v in data.items()}
        return data


def format_path(loc: Iterable[Any]) -> str:
    """Render a location tuple as a JSON path: ``("modules", 0, "name")`` -> ``modules[0].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).isidentifier():
            out += f".{part}" if out else str(part)
        else:
            out += f"[{json.dumps(str(part))}]"
    return out


def shown(value: Any) -> Any:
    """Keep a found value as is unless its repr is long; then keep a shortened rendering of it."""
    if value is ABSENT:
        return value
    text = repr(value)
    return value if len(text) <= _MAX_FOUND else Shown(text[: _MAX_FOUND - 3] + "...")


def did_you_mean(value: Any, choices: Iterable[str]) -> str | None:
    """Return ``"did you mean 'Item'?"`` for the closest choice, or None when nothing is close."""
    if not isinstance(value, str):
        return None
    choices = list(choices)
    folded = {c.lower(): c for c in choices}
    # Same letters in another order ('Itme', '=>') beat difflib, which scores transpositions poorly.
    shuffled = next((c for c in choices if sorted(c.lower()) == sorted(value.lower())), None)
    match = folded.get(value.lower()) or shuffled or next(iter(difflib.get_close_matches(value, choices, n=1)), None)
    if match is None:
        close = difflib.get_close_matches(value.lower(), list(folded), n=1)
        match = folded[close[0]] if close else None
    return f"did you mean {match!r}?" if match is not None and match != value else None


def problem(at: Loc, expected: str, found: Any = ABSENT, hint: str | None = None) -> dict[str, Any]:
    """One cross-field problem, located relative to the model (or field) that reports it."""
    return {"at": tuple(at), "expected": expected, "found": found, "hint": hint}


def fail(*problems: dict[str, Any]) -> PydanticCustomError:
    """Wrap problems into one pydantic error; `errors_from_validation` expands them again."""
    summary = "; ".join(p["expected"] for p in problems)
    return PydanticCustomError("faas", "{summary}", {"summary": summary, "problems": list(problems)})


def one_of(choices: Iterable[str], expected: str | None = None):
    """A validator accepting exactly one of `choices`, failing with a did-you-mean hint.

    Args:
        choices: the accepted values, in the platform's spelling.
        expected: how to word the expectation when listing every choice would be too long.
    """
    allowed = tuple(choices)
    expected = expected or "one of " + ", ".join(repr(c) for c in allowed)

    def check(value: Any) -> str:
        if value not in allowed:
            raise fail(problem((), expected, value, did_you_mean(value, allowed)))
        return value

    return check


def _trailing_comma(text: str, position: int) -> int | None:
    """The line of a comma right before a closing bracket where parsing stopped, if that is the error."""
    before = text[:position].rstrip()
    if before.endswith(",") and text[position:position + 1] in ("}", "]"):
        return before.count("\n") + 1
    return None


# A manifest or mock file is read whole into memory; a larger one is not a hand-written file.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def read_json(path: Path | str) -> Any:
    """Parse a JSON file, turning every way it can fail into a `ManifestError` for the whole document."""
    file = str(path)
    try:
        # A regular file only, read to a bound: a FIFO named mock.json would block the collection, a link to
        # /dev/zero never end.
        if Path(path).exists() and not is_file(Path(path)):
            raise ManifestError(file, "", "a readable file", Shown("a FIFO, device or folder, not a regular file"))
        with open(path, "rb") as stream:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ManifestError(file, "", f"a file of at most {MAX_DOCUMENT_BYTES} bytes", Shown("a larger file"))
        text = data.decode("utf-8-sig")
    except OSError as exc:
        raise ManifestError(file, "", "a readable file", Shown(exc.strerror or type(exc).__name__)) from None
    except UnicodeDecodeError as exc:
        utf16 = exc.object.startswith((b"\xff\xfe", b"\xfe\xff"))
        raise ManifestError(file, "", "UTF-8 text", Shown(f"byte {exc.object[exc.start]:#04x} at offset {exc.start}"),
                            "the file is UTF-16: save it as UTF-8" if utf16 else None) from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        # JSON counts lines by "\n" only; str.splitlines would also split on \u2028, \x0b and friends.
        lines = text.split("\n")
        line = lines[exc.lineno - 1].strip() if exc.lineno <= len(lines) else ""
        hint = f"line {exc.lineno}: {line[:60]}" if line else ("the file is empty" if not text.strip() else None)
        comma = _trailing_comma(text, exc.pos)
        if comma is not None:
            hint = (f"a trailing comma at line {comma}: JSON allows no comma after the last entry of an object or "
                    "list; remove it")
        err = ManifestError(file, "", "valid JSON", Shown(f"{exc.msg} at line {exc.lineno}, column {exc.colno}"),
                            hint)
        err.line, err.column = exc.lineno, exc.colno  # structured too, for editors and report renderers
        raise err from None
    except _Constant as exc:
        raise ManifestError(file, "", "valid JSON", Shown(exc.args[0]), "JSON has no NaN or Infinity; use null or a number") from None
    except RecursionError:
        raise ManifestError(file, "", "valid JSON", Shown("a document nested too deeply to read")) from None
    except ValueError as exc:  # a number of more than 4300 digits: Python refuses to convert it
        raise ManifestError(file, "", "valid JSON with numbers of at most 4300 digits",
                            Shown(str(exc).split(";")[0])) from None
    _check_shape(document, file)
    return document


def _check_shape(document: Any, file: str) -> None:
    """Refuse what parses but breaks whoever reads it next: nesting deeper than `MAX_DEPTH` (copies and
    serializers recurse), and lone surrogates (no UTF-8 encoding exists for them: the zip, the report)."""
    stack: list[tuple[Any, Loc]] = [(document, ())]
    while stack:
        value, at = stack.pop()
        if len(at) > MAX_DEPTH:
            raise ManifestError(file, format_path(at[:4]) + f"... ({MAX_DEPTH} levels down)",
                                f"at most {MAX_DEPTH} levels of nesting", Shown("a value nested deeper"))
        if isinstance(value, str) and _lone_surrogate(value):
            raise ManifestError(file, format_path(at), "valid Unicode text", Shown("a lone surrogate (\\ud800-\\udfff)"))
        if isinstance(value, dict):
            for key, item in value.items():
                if _lone_surrogate(key):
                    raise ManifestError(file, format_path(at), "keys of valid Unicode text",
                                        Shown("a key with a lone surrogate"))
                stack.append((item, (*at, key)))
        elif isinstance(value, list):
            stack.extend((item, (*at, i)) for i, item in enumerate(value))


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_document(path: Path | str) -> dict[str, Any]:
    """`read_json`, then insist on a JSON object at the top, as every FaaS file is one."""
    document = read_json(path)
    if not isinstance(document, dict):
        raise ManifestError(str(path), "", "a JSON object", shown(document))
    return document


def validate_document(model: type[BaseModel], document: dict[str, Any], path: Path | str,
                      errors: Iterable[ManifestError] = ()) -> Any:
    """Validate `document` into `model`; raise every problem (plus the `errors` already found) at once."""
    errors = list(errors)
    result = None
    try:
        result = model.model_validate(document)
    except ValidationError as exc:
        errors += errors_from_validation(str(path), exc, model)
    except Exception as exc:  # noqa: BLE001 - a bug of ours must still name the user's file, never escape
        errors.append(ManifestError(str(path), "", INTERNAL, Shown(f"{type(exc).__name__}: {exc}"),
                                    "this is a pytest-faas bug; please report it with the file"))
    raise_all(errors)
    return result


def is_file(path: Path) -> bool:
    """`Path.is_file`, but False (not an exception) for a name the OS refuses: too long, NUL bytes."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


class _Constant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity; the platform's JSON (and our backend's responses) would not.
    raise _Constant(name)


def errors_from_validation(file: str, exc: ValidationError, model: type[BaseModel]) -> list[ManifestError]:
    """Translate every pydantic error of `exc` (raised validating `model`) into a located `ManifestError`."""
    return [ManifestError(file, format_path(p["at"]), p["expected"], shown(p["found"]), p["hint"])
            for p in nested_problems(exc, (), model)]


def nested_problems(exc: ValidationError, prefix: Loc, model: Any) -> list[dict[str, Any]]:
    """The errors of validating `model` (at `prefix` inside the caller's value), as `problem`s.

    A validator that validates part of its value by hand re-raises these with `fail`, so that they are
    located inside its field like any other error.
    """
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(prefix) + tuple(err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == "faas":
            out += [{**p, "at": loc + tuple(p["at"])} for p in ctx["problems"]]
        elif err["type"] == "extra_forbidden":
            known = _known_keys(model, tuple(err["loc"])[:-1])
            out.append(problem(loc, "one of the keys " + ", ".join(known), loc[-1], did_you_mean(loc[-1], known)))
        else:
            found = ABSENT if err["type"] == "missing" else shown(err.get("input"))
            out.append(problem(loc, _expected(err["type"], ctx, err["msg"]), found))
    return out


def raise_all(errors: list[ManifestError]) -> None:
    """Raise nothing, the one error, or all of them together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ManifestErrors(errors)


def _expected(kind: str, ctx: dict[str, Any], msg: str) -> str:
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"a number {sign} {bound}"
    if kind == "literal_error":
        return f"one of {ctx.get('expected', '?')}"
    return msg[0].lower() + msg[1:] if msg else kind


def _known_keys(model: Any, loc: Loc) -> list[str]:
    """The keys the model accepts at `loc`, found by walking the type annotations along the path."""
    for part in loc:
        model = _unwrap(model)
        if isinstance(model, type) and issubclass(model, BaseModel):
            fields = {f.alias or name: f for name, f in model.model_fields.items()}
            model = fields[part].annotation if part in fields else None
        else:
            args = typing.get_args(model)
            model = args[-1] if args else None
    model = _unwrap(model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(f.alias or name for name, f in model.model_fields.items())
    return []


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional, so that ``Expectation | None`` walks like ``Expectation``."""
    if typing.get_origin(tp) is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(rest[0]) if len(rest) == 1 else tp
    return tp
