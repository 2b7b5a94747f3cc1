import time
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def _mark(self, item, key):
        item.metadata.setdefault("user", {})[key] = True
        item.update()
        return key

    def first(self, item):
        return self._mark(item, "second_module_first_function")

    def second(self, item):
        return self._mark(item, "second_module_second_function")
