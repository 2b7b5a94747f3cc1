"""Env files that are not what they seem: each a located finding or a bounded refusal, never a hang, a
crash later at deploy, or a silent change of the value."""

from __future__ import annotations

import os
import threading

import pytest

from pytest_faas.errors import ManifestError, ManifestErrors
from pytest_faas.manifests.envfile import load_env_file
from pytest_faas.protocol import MAX_ENV_BYTES


def test_nul_and_non_utf8_values_are_located_lines(tmp_path):
    env = tmp_path / ".env"
    env.write_bytes(b"GOOD=1\nNUL=a\0b\nLATIN=caf\xe9\n")
    with pytest.raises(ManifestErrors) as caught:
        load_env_file(env)
    found = {error.file: error.hint for error in caught.value.errors}
    assert set(found) == {f"{env}:2", f"{env}:3"}
    assert "NUL" in found[f"{env}:2"] and "UTF-8" in found[f"{env}:3"]


def test_an_endless_file_is_refused_after_reading_no_more_than_the_limit(tmp_path):
    link = tmp_path / "zero.env"
    os.symlink("/dev/zero", link)  # a character device: never ends, stat says 0 bytes
    with pytest.raises(ManifestError) as caught:
        load_env_file(link)
    assert "not a regular file" in str(caught.value)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.env"
    os.mkfifo(fifo)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(pytest.raises(ManifestError, load_env_file, fifo)),
                              daemon=True)
    worker.start()
    worker.join(5)
    assert outcome, "load_env_file blocked on a FIFO"
    assert "not a regular file" in str(outcome[0].value)


def test_a_huge_line_is_refused_by_size(tmp_path):
    env = tmp_path / "big.env"
    env.write_bytes(b"A=" + b"x" * (MAX_ENV_BYTES * 2 + 10) + b"\n")
    with pytest.raises(ManifestError) as caught:
        load_env_file(env)
    assert f"at most {MAX_ENV_BYTES * 2} bytes" in str(caught.value)


def test_a_symlink_to_a_regular_file_is_read(tmp_path):
    real = tmp_path / "real.env"
    real.write_text("A=1\n")
    link = tmp_path / "link.env"
    os.symlink(real, link)
    assert load_env_file(link) == {"A": "1"}
