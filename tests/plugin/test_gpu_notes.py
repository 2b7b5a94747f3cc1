"""A GPU pod or `gpu: true` runs on CPU here, and `pytest --faas` says so in its warnings summary."""

from faas_code import JSON_PACKAGE


def test_a_gpu_pod_type_and_gpu_true_are_noted_and_the_cases_still_run(faas_pytester, packages):
    files = dict(JSON_PACKAGE)
    files["service.json"] = {"name": "echo", "moduleName": "default_module",
                             "runtime": {"podType": "gpu-t4", "gpu": True}}
    packages.write("echo", files)
    result = faas_pytester.runpytest_subprocess("--faas", "-q", "-p", "no:cacheprovider", "-W", "default")
    out = result.stdout.str()
    assert "runtime.podType 'gpu-t4' is a GPU pod" in out, out
    assert "runtime.gpu is true" in out, out
    result.assert_outcomes(passed=3)
