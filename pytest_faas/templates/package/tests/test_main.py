"""A unit test of main.py with real dtlpy entities on a local platform: `pytest` runs it, and `pytest --faas`
runs it with mock.json's case."""


def test_run_annotates_the_item(faas_item, faas_progress):
    from main import ServiceRunner

    ServiceRunner().run(item=faas_item, progress=faas_progress)

    assert [a.label for a in faas_item.annotations.list()] == ["completed"]
    assert faas_progress.statuses[0] == "inProgress"
