"""A local platform in a process of its own, for benchmarks: ``python platform_child.py memory|durable``.

Prints one JSON line, ``{"url": ..., "token": ...}``, then serves until its standard input closes. The
thread placement runs the functions in this process, as ``faas serve --placement thread`` does; ``durable``
keeps the data in a folder (SQLite and blob files, as ``faas serve`` and ``pytest --faas`` do), ``memory``
keeps it in memory.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile

from pytest_faas.local import LocalPlatform


def main(kind: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="faas-bench-serve-") if kind == "durable" else None
    platform = LocalPlatform(data_dir, durable=kind == "durable", placement="thread", bind_sdk=False).start()
    try:
        print(json.dumps({"url": platform.base_url, "token": platform.token}), flush=True)
        sys.stdin.read()
    finally:
        platform.close()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
