"""The nested-document filter form (as service.json files write it) reads as dotted paths, through dtlpy."""

import io

from faas_code import simple_package, wait

from pytest_faas.mocks.files import png_bytes

NESTED_IMAGE = {"metadata": {"system": {"mimetype": {"$eq": "image/*"}}}}


def test_item_query_with_a_nested_filter(faas_dl, faas_dataset):
    image = faas_dataset.items.upload(local_path=io.BytesIO(png_bytes(2, 2)), remote_name="a.png")
    faas_dataset.items.upload(local_path=io.BytesIO(b"text"), remote_name="b.txt")
    filters = faas_dl.Filters(custom_filter={"$and": [NESTED_IMAGE]})
    assert [item.id for item in faas_dataset.items.list(filters=filters).all()] == [image.id]
    bigger = faas_dl.Filters(custom_filter={"metadata": {"system": {"size": {"$gt": 10**6}}}})
    assert list(faas_dataset.items.list(filters=bigger).all()) == []


def test_a_trigger_with_a_nested_filter_fires_for_images_only(faas_platform, faas_dl, faas_project, tmp_path):
    simple_package(tmp_path / "pkg", "nested", "def run(self, item):\n    return item.name\n",
                   [("run", [("item", "Item")])])
    service = faas_project.packages.push(src_path=str(tmp_path / "pkg")).deploy(service_name="nested")
    trigger = service.triggers.create(name="images", resource=faas_dl.TriggerResource.ITEM,
                                      actions=faas_dl.TriggerAction.CREATED, function_name="run",
                                      filters=faas_dl.Filters(custom_filter=NESTED_IMAGE))
    dataset = faas_project.datasets.create(dataset_name="d")
    dataset.items.upload(local_path=io.BytesIO(png_bytes(2, 2)), remote_name="a.png")
    dataset.items.upload(local_path=io.BytesIO(b"text"), remote_name="b.txt")
    filters = faas_dl.Filters(resource=faas_dl.FiltersResource.EXECUTION, field="triggerId", values=trigger.id)
    [execution] = list(faas_dl.executions.list(filters=filters).all())
    record = wait(faas_platform, execution.id)
    assert record["latestStatus"]["status"] == "success" and record["output"] == "a.png"
