"""Unit tests of the hello-world annotator, with real dtlpy entities from the pytest-faas fixtures."""

from hello_world.main import ServiceRunner


def test_run_marks_the_item_completed(faas_item, faas_progress):
    ServiceRunner().run(item=faas_item, progress=faas_progress)

    assert [a.label for a in faas_item.annotations.list()] == ["completed"]
    assert faas_progress.last.status == "inProgress"
    assert faas_progress.last.progress == 100


def test_run_adds_one_annotation_per_call(make_faas_item, faas_progress):
    item = make_faas_item(name="dog.png", remote_path="/train")
    runner = ServiceRunner()
    runner.run(item=item, progress=faas_progress)
    runner.run(item=item, progress=faas_progress)

    assert item.dataset.items.get(item_id=item.id).annotations_count == 2
