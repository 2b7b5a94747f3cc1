"""A stub's answer may be bytes: from a file beside the mock file (inside the package folder, as artifacts)
or inline in base64. A function that downloads a zip can be tested; before, a stub's body was text only."""

import base64
import io
import zipfile

MAIN = '''
import io
import zipfile

import dtlpy as dl
import requests


class ServiceRunner(dl.BaseServiceRunner):
    def unzip(self, url):
        answer = requests.get(url, timeout=5)
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            return {"type": answer.headers["Content-Type"], "labels": archive.read("labels.txt").decode()}
'''
URL = "https://models.example.com/v1/model.zip"


def _zip(text: str) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("labels.txt", text)
    return data.getvalue()


def _package(packages, stub: dict, expected: str | None = None):
    folder = packages.write("unzip", {
        "package.json": {"name": "unzip", "modules": [{"name": "default_module", "entryPoint": "main.py",
                                                       "functions": [{"name": "unzip", "input": [
                                                           {"name": "url", "type": "String"}]}]}]},
        "main.py": MAIN,
        "mocks/model.json": {"function_name": "unzip", "inputs": [{"name": "url", "value": URL}],
                             "http": [dict(url=URL, **stub)],
                             "expect": {"output": {"type": "application/octet-stream", "labels": expected}}}})
    (folder / "mocks" / "fixtures").mkdir()
    (folder / "mocks" / "fixtures" / "model.zip").write_bytes(_zip("cat,dog"))
    return folder


def test_a_stub_answers_bytes_from_a_file_or_base64(faas_pytester, packages):
    _package(packages, {"body_file": "fixtures/model.zip"}, "cat,dog")
    inline = {"function_name": "unzip", "inputs": [{"name": "url", "value": URL}],
              "http": [{"url": URL, "body_base64": base64.b64encode(_zip("bird")).decode()}],
              "expect": {"output": {"type": "application/octet-stream", "labels": "bird"}}}
    packages.write("unzip", {"mocks/inline.json": inline})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_body_file_out_of_the_package_or_bad_base64_is_a_located_finding(faas_pytester, packages):
    folder = _package(packages, {"body_file": "../../secret.zip"})
    (folder.parent / "secret.zip").write_bytes(b"not the package's")
    packages.write("unzip", {"mocks/inline.json": {"function_name": "unzip", "inputs": [{"name": "url", "value": URL}],
                                                   "http": [{"url": URL, "body_base64": "not base64!"}]}})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)  # the ::manifest item; mock files that cannot be read yield no cases
    result.stdout.fnmatch_lines(["*mocks/model.json*http[[]0[]].body_file*an existing file inside the package folder*"
                                 "../../secret.zip*"])
    result.stdout.fnmatch_lines(["*mocks/inline.json*http[[]0[]].body_base64*base64 of at most 8 MiB*"])
