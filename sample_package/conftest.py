# This folder on sys.path lets the unit tests import the packages as `hello_world.main` and
# `auto_ml.single_item_auto_ml`, which the auto_ml modules need for their `from .models_loader import`.
