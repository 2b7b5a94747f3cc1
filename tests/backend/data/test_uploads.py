"""Item uploads through the multipart parser: large bodies, names beyond ASCII, fields beside the file."""

from __future__ import annotations

import io
import os

from pytest_faas.backend.web.multipart import MEMORY_BYTES


def test_a_body_larger_than_memory_is_stored_whole(api, faas_dataset):
    data = os.urandom(MEMORY_BYTES * 2 + 7)  # the parser spools it to disk on the way
    response = api.post(f"/datasets/{faas_dataset.id}/items", files={"file": ("big.bin", data)},
                        data={"path": "/big/big.bin", "metadata": '{"user": {"n": 1}}'})
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["filename"], record["metadata"]["system"]["size"]) == ("/big/big.bin", len(data))
    assert record["metadata"]["user"] == {"n": 1}
    assert api.get(f"/items/{record['id']}/stream").content == data


def test_names_beyond_ascii_survive_a_dtlpy_upload(faas_dataset):
    item = faas_dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/ünï", remote_name="çat 猫.txt")
    fetched = faas_dataset.items.get(item_id=item.id)
    assert (fetched.name, fetched.dir) == ("çat 猫.txt", "/ünï")
    assert fetched.download(save_locally=False).read() == b"x"
