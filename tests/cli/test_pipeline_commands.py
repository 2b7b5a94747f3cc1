"""`faas pipelines`: a two-node template made, installed and executed on an item; its executions as a tree."""

from __future__ import annotations

import json


def two_nodes() -> dict:
    def node(nid: str, name: str) -> dict:
        return {"id": nid, "name": name, "type": "function",
                "namespace": {"functionName": "run", "serviceName": "default-service",
                              "packageName": "default-package", "moduleName": "default_module"},
                "inputs": [{"portId": f"{nid}-in", "name": "item", "type": "Item"}],
                "outputs": [{"portId": f"{nid}-out", "name": "item", "type": "Item"}], "metadata": {}}

    return {"name": "twice", "nodes": [node("a", "first"), node("b", "second")],
            "connections": [{"src": {"nodeId": "a", "portId": "a-out"}, "tgt": {"nodeId": "b", "portId": "b-in"}}],
            "startNodes": [{"nodeId": "a", "type": "root"}]}


def test_create_install_execute_and_show_the_executions_as_a_tree(faas, tmp_path):
    faas("packages generate")
    faas("projects create demo")
    faas("datasets create pictures")
    faas("packages push")
    faas("packages deploy")
    (tmp_path / "twice.pipeline.json").write_text(json.dumps(two_nodes()))
    (tmp_path / "cat.jpg").write_text("pixels")
    [item] = faas.json("items upload cat.jpg --remote-path /val")

    assert "status Created" in faas("pipelines create twice.pipeline.json").stdout
    failed = faas(f"pipelines execute twice --item-id {item['id']}", code=1)
    assert "install it" in failed.stderr
    assert "status Installed" in faas("pipelines install twice").stdout
    assert [(p["name"], p["status"]) for p in faas.json("pipelines ls")] == [("twice", "Installed")]

    ran = faas(f"pipelines execute twice --item-id {item['id']}")

    lines = ran.stdout.splitlines()
    assert "success" in lines[0] and "first  success  (1 execution)" in lines[1]
    assert "second  success  (1 execution)" in lines[2] and lines[2].index("second") > lines[1].index("first")
    [cycle] = faas.json("pipelines executions twice")
    assert cycle["status"] == "success" and [n["status"] for n in cycle["nodes"]] == ["success", "success"]
    assert "first  success" in faas("pipelines executions twice").stdout
    assert "status Uninstalled" in faas("pipelines pause twice").stdout
