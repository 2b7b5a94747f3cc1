"""The fixtures, used as a package author would use them in their own tests."""

USER_TESTS = '''
import pytest

def test_entities(faas_dl, faas_project, faas_dataset, faas_item, faas_annotation):
    assert isinstance(faas_project, faas_dl.entities.Project)
    assert isinstance(faas_item, faas_dl.entities.Item)
    assert faas_item.dataset_id == faas_dataset.id
    assert faas_annotation.item_id == faas_item.id
    assert faas_item.download(save_locally=False).getvalue().startswith(b"\\x89PNG")

@pytest.mark.faas_item(name="cat.txt", data="meow", remote_path="/train", metadata={"split": "train"},
                       annotations=["cat"])
def test_marker_shapes_faas_item(faas_item):
    assert faas_item.filename == "/train/cat.txt"
    assert faas_item.metadata["user"] == {"split": "train"}
    assert [a.label for a in faas_item.annotations.list()] == ["cat"]

def test_factory(make_faas_item):
    a = make_faas_item(name="a.png")
    b = make_faas_item(name="b.png", remote_path="/val")
    assert a.dataset_id == b.dataset_id and b.dir == "/val"

def test_progress(faas_progress):
    faas_progress.update(status="inProgress", progress=50)
    assert faas_progress.last.progress == 50

def test_projects_are_fresh_per_test(faas_dataset):
    assert faas_dataset.items.list().items_count == 0
'''


def test_fixtures_give_real_dtlpy_entities(faas_pytester):
    faas_pytester.makepyfile(test_user=USER_TESTS)
    result = faas_pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)


def test_fixtures_are_listed_with_their_docs(faas_pytester):
    result = faas_pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*make_faas_item*", "*faas_platform*session*", "*faas_progress*"])


def test_plugin_is_inert_without_faas(faas_pytester):
    faas_pytester.makepyfile(test_inert='''
import sys
def test_nothing_heavy_loaded():
    assert "dtlpy" not in sys.modules
    assert "docker" not in sys.modules
    assert "werkzeug" not in sys.modules
''')
    result = faas_pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
