import time
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self):
        for _ in range(6000):
            time.sleep(0.1)
            self.kill_event()
        return "done"
