"""Dataloop's query language: compiling filters, and telling which trigger filters can never match."""
