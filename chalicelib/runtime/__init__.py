"""The runtime: settings read from the environment, the clients a process builds
once and reuses (DynamoDB, SNS), structured logs and metrics, and the announcement
of published totals. Imports the domain and storage; nothing here runs at import time
but the logger's own setup.
"""
