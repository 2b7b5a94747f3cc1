import dtlpy as dl
import logging
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

    def run(self, item=None, progress=None):
        """
        Write your main package service here

        :param item: the item to annotate (invoked without one, the function only says hello)
        :param progress: Use this to update the progress of your package
        :return:
        """
        if item is None:
            print('Hello World! Invoke me with an item to annotate it')
            return None

        # create annotation
        ann = dl.Annotation.new(
            annotation_definition=dl.Classification(label='completed'),
            item=item
        )
        ann.upload()

        # update session progress
        progress.update(status='inProgress', progress=100)
