"""The data plane: projects, datasets, items, directories, annotations, recipes, ontologies, exports, clones."""
