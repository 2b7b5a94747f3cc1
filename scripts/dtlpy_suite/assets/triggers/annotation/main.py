import time
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, annotation):
        annotation.label = "Edited"
        annotation.update()
        return annotation.id
