import time
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, size):
        return "x" * int(size * 1024 * 1024)
