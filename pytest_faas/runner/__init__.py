"""What runs inside a placement: the runner agent, how it starts, loads the user's code, calls it and captures it."""
