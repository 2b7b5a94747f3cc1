"""A toy model: it learns the most frequent label and predicts it, bright or dark by the image's bytes."""

import json
import os
from collections import Counter


class ModelLoader:
    def __init__(self, model_name):
        self.model_name = model_name
        self.labels = Counter()

    def train(self, annotations_path, items_path):
        for root, _, files in os.walk(os.path.join(annotations_path, "json")):
            for name in files:
                with open(os.path.join(root, name)) as f:
                    for annotation in json.load(f).get("annotations", []):
                        self.labels[annotation["label"]] += 1
        return dict(self.labels)

    def train_single_item(self, annotations_path, items_path):
        with open(annotations_path) as f:
            for annotation in json.load(f).get("annotations", []):
                self.labels[annotation["label"]] += 1
        return dict(self.labels)

    def predict(self, items):
        data = items.read()
        label = self.labels.most_common(1)[0][0] if self.labels else ("bright" if sum(data) / max(len(data), 1) > 127 else "dark")
        return [{"type": "class", "label": label, "metadata": {"user": {"model": self.model_name}}}]
