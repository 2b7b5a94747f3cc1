"""The FaaS engine: packages, services, executions, dispatch to agents, triggers, cron and logs."""
