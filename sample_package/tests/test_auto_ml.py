"""Unit tests of the two auto_ml modules (package-relative imports, the `model_name` init input)."""

import pytest

from auto_ml import dataset_auto_ml, single_item_auto_ml


@pytest.fixture
def runner():
    return single_item_auto_ml.ServiceRunner(model_name="my_model")


def test_init_needs_model_name():
    with pytest.raises(KeyError, match="model_name"):
        single_item_auto_ml.ServiceRunner()


@pytest.mark.faas_item(name="bright.bin", data=bytes([250]) * 32)
def test_predict_uploads_its_label(runner, faas_item, faas_progress):
    assert runner.predict(item=faas_item, progress=faas_progress) == "bright"
    labels = [a.label for a in faas_item.annotations.list()]
    assert labels == ["bright"]
    assert faas_progress.last.status == "completed"


@pytest.mark.faas_item(name="labelled.bin", data=b"x", annotations=["cat", "cat", "dog"])
def test_train_counts_the_items_labels(runner, faas_item, faas_progress):
    assert runner.train(item=faas_item, progress=faas_progress) == {"cat": 2, "dog": 1}


def test_dataset_predict_labels_every_unannotated_item(make_faas_item, faas_dataset, faas_progress):
    make_faas_item(name="a.bin", data=bytes([250]) * 8)
    make_faas_item(name="b.bin", data=bytes([3]) * 8)
    make_faas_item(name="c.bin", data=b"x", annotations=["done"])
    dataset_auto_ml.ServiceRunner(model_name="m").predict(dataset=faas_dataset, progress=faas_progress)

    items = {item.name: item for item in faas_dataset.items.list().all()}
    assert [a.label for a in items["a.bin"].annotations.list()] == ["bright"]
    assert [a.label for a in items["b.bin"].annotations.list()] == ["dark"]
    assert [a.label for a in items["c.bin"].annotations.list()] == ["done"]
    assert faas_progress.statuses[-1] == "completed"
