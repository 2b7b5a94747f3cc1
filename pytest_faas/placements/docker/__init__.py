"""The docker placement: the engine, runner images, containers and the ready pool."""
