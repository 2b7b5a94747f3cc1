"""What every noun group of the `faas` command shares: its session, options, output, progress and files."""
