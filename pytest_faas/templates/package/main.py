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

    def run(self, item, progress=None):
        """
        Write your main package service here

        :param progress: Use this to update the progress of your package
        :return:
        """
        # create annotation
        ann = dl.Annotation.new(
            annotation_definition=dl.Classification(label='completed'),
            item=item
        )
        ann.upload()

        # update session progress
        progress.update(status='inProgress', progress=100)
