import logging

import dtlpy as dl

logger = logging.getLogger(name=__name__)


class ServiceRunner(dl.BaseServiceRunner):
    """The app's module: each method that dataloop.json declares is a function the platform can call."""

    def __init__(self):
        pass

    def run(self, item: dl.Item) -> dl.Item:
        """Label the item 'completed' and hand it on (a pipeline node passes it to the next node)."""
        builder = item.annotations.builder()
        builder.add(annotation_definition=dl.Classification(label="completed"))
        item.annotations.upload(builder)
        logger.info("labelled %s", item.id)
        return item
