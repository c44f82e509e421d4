"""Action Tally's runtime code, in packages by concern, each importing only those
below it (docs/architecture.md draws it):

    domain    -> nothing of ours
    storage   -> domain
    runtime   -> domain, storage
    privacy   -> domain, storage, runtime
    counting  -> domain, storage, runtime, privacy
    web       -> domain, storage
    supporters, staff -> any of the above
    app.py    -> any of them; the one place that names routes
"""
