"""``action-tally``: the staff and engineers' command line (not deployed to Lambda)."""
