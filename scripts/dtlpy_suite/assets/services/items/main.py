import time
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, items=None):
        return [item.id for item in items or []]
