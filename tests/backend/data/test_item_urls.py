"""Absolute item URLs on the platform's own address, and the `?jwt=` token on byte routes, through dtlpy."""

import io

import requests

from pytest_faas.mocks.files import png_bytes


def test_stream_url_and_thumbnail_are_absolute_on_this_platform(faas_dl, faas_dataset, faas_platform):
    item = faas_dataset.items.upload(local_path=io.BytesIO(png_bytes(3, 3)), remote_name="a.png")
    base = faas_platform.base_url
    for url in (item.stream, item.url, item.thumbnail):
        assert url.startswith(base + "/api/v1/items/" + item.id), url
    # The same in a query page and a fetched item.
    [listed] = list(faas_dataset.items.list().all())
    assert listed.stream == item.stream
    assert faas_dl.items.get(item_id=item.id).stream == item.stream


def test_jwt_query_token_reads_the_stream_and_a_wrong_one_is_refused(faas_dl, faas_dataset):
    data = png_bytes(4, 4)
    item = faas_dataset.items.upload(local_path=io.BytesIO(data), remote_name="b.png")
    answer = requests.get(f"{item.stream}?jwt={faas_dl.token()}", timeout=10)
    assert answer.status_code == 200 and answer.content == data
    assert requests.get(f"{item.thumbnail}?jwt={faas_dl.token()}", timeout=10).status_code == 200
    assert requests.get(f"{item.stream}?jwt=wrong", timeout=10).status_code == 401
    assert requests.get(item.stream, timeout=10).status_code == 401
    # Only byte routes take the query token: the item's JSON still needs the header.
    assert requests.get(f"{item.url}?jwt={faas_dl.token()}", timeout=10).status_code == 401


def test_download_still_works_and_update_keeps_the_stored_paths(faas_dl, faas_dataset, api):
    data = png_bytes(2, 2)
    item = faas_dataset.items.upload(local_path=io.BytesIO(data), remote_name="c.png")
    assert item.download(save_locally=False).getvalue() == data
    item.metadata["user"] = {"k": 1}
    item = item.update()
    assert item.metadata["user"] == {"k": 1} and item.stream.startswith("http")
    assert faas_dl.items.get(item_id=item.id).download(save_locally=False).getvalue() == data


def test_a_json_item_is_served_byte_for_byte(faas_dataset):
    # A JSON file of item records (as an export is) must come back as uploaded, URLs and all.
    data = b'[{"id":"x","stream":"/items/x/stream","url":"/items/x"}]'
    item = faas_dataset.items.upload(local_path=io.BytesIO(data), remote_name="records.json")
    assert item.download(save_locally=False).getvalue() == data
