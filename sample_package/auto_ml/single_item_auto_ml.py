import json
import os
import tempfile

import dtlpy as dl
import logging
from .models_loader import ModelLoader

logger = logging.getLogger(name=__name__)


class ServiceRunner(dl.BaseServiceRunner):
    """
    Package runner class

    """

    def __init__(self, **kwargs):
        """
        Init package attributes here

        :param kwargs: config params
        :return:
        """
        model_name = kwargs['model_name']
        self.model = ModelLoader(model_name=model_name)

    def train(self, item, progress=None):
        # download item
        workdir = tempfile.mkdtemp()
        item_path = item.download(local_path=workdir)
        annotations_path = os.path.join(workdir, 'annotations.json')
        with open(annotations_path, 'w') as f:
            json.dump({'annotations': [a.to_json() for a in item.annotations.list()]}, f)

        # train model
        labels = self.model.train_single_item(annotations_path=annotations_path, items_path=item_path)

        # update execution progress
        progress.update(status='completed', progress=100)
        return labels

    def predict(self, item, progress=None):
        # download item and predict
        item_io_buffer = item.download(save_locally=False)
        annotations = self.model.predict(items=item_io_buffer)
        item.annotations.upload(annotations=annotations)

        # update execution progress
        progress.update(status='completed', progress=100)
        return annotations[0]["label"]
