"""Apps: the DPK registry, installs, and their routes."""
