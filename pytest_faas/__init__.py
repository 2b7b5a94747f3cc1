"""pytest-faas: test Dataloop-style FaaS packages on your own machine."""

__version__ = "0.1.0"
