import time
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, dataset):
        return dataset.id
