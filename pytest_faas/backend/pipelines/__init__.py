"""Pipelines: their graphs, executions through nodes, start-node triggers and routes."""
