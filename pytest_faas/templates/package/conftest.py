# pytest reads this file first: its folder, the package's, goes on sys.path, so the tests in tests/ can
# `from main import ServiceRunner` under plain `pytest` as under `pytest --faas`. Team rules written as
# pytest-faas hooks (docs/hooks.md) belong here too.
