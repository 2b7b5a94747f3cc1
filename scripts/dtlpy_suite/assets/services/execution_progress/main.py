import time
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, progress):
        progress.update(progress=10, message="started")
        for _ in range(300):
            time.sleep(0.1)
        return "done"
