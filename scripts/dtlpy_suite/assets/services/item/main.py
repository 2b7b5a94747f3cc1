import time
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item=None):
        print("running on", getattr(item, "id", None))
        return getattr(item, "id", None)
