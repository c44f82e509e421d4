"""The supporter-facing web: the form and its pages (thank-you, closed, problems),
their error wording, per-campaign CORS for partner pages, and the static embed
script. Imports the web plumbing, counting, storage and the domain.
"""
