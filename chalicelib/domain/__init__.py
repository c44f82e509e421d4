"""The domain: campaigns, reports, totals, and the checks that turn input into them;
the clock, country codes, and the errors every answer is shaped from. Pure Python:
no AWS, no HTTP, no storage. Imports nothing of ours outside this package.
"""
