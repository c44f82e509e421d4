"""The runtime: settings read from the environment, the clients a process builds
once and reuses (DynamoDB, SNS), structured logs and metrics, the announcement of
published totals, and modules loaded when first used. Imports the domain and storage;
nothing here runs at import time (Powertools is set up at the first invocation).
"""
