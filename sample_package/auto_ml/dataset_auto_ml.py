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

    def train(self, dataset, progress=None):
        # download items
        filters = dl.Filters(field='annotated', values=True)
        items_path = dataset.items.download(filters=filters)
        annotations_path = dataset.download_annotations()

        # train model
        labels = self.model.train(annotations_path=annotations_path, items_path=items_path)

        # update execution progress
        progress.update(status='completed', progress=100)
        return labels

    def predict(self, dataset, progress=None):
        # download items
        filters = dl.Filters(field='annotated', values=False)
        pages = dataset.items.list(filters=filters)

        # predict and upload
        page_counter = 0
        for page in pages:
            for item in page:
                item_io_buffer = item.download(save_locally=False)
                annotations = self.model.predict(items=item_io_buffer)
                item.annotations.upload(annotations=annotations)

            # update execution progress
            page_counter += 1
            percent_completed = round((page_counter/pages.total_pages_count) * 100)
            progress.update(status='inProgress', progress=percent_completed)

        # update execution progress
        progress.update(status='completed', progress=100)
