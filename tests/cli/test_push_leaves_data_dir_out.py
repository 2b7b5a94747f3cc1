"""`faas packages push` in a package folder that holds the faas command's own data dir (`faas projects create`
made `./.faas` there) and no .gitignore: the push works, and the codebase holds the package, not the data dir.

Before, the push refused and asked the user to add `.faas/` to their .gitignore.
"""

import io
import zipfile


def test_push_leaves_the_commands_own_data_dir_out_of_the_codebase(faas, tmp_path):
    from pytest_faas.local import LocalPlatform

    faas("packages generate --package-name crops")
    (tmp_path / ".gitignore").unlink()
    faas("projects create demo")
    assert (tmp_path / ".faas" / "token").is_file()
    pushed = faas.json("packages push")
    assert not (tmp_path / ".gitignore").exists()  # nothing of the user's was changed for it
    with LocalPlatform(tmp_path / ".faas") as platform:
        item = platform.dl.items.get(item_id=pushed["codebase"]["itemId"])
        names = zipfile.ZipFile(io.BytesIO(item.download(save_locally=False).read())).namelist()
    assert "main.py" in names and "package.json" in names
    assert not [name for name in names if name.startswith(".faas")]
