"""The staff side: tokens and dashboard sessions, campaign administration, the
dashboard and its charts, the printable summary, flagged-report review and
exports. Imports the web plumbing, counting, privacy, storage and the domain.
"""
