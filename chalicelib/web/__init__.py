"""HTTP and page plumbing shared by the supporter and staff sides: request bodies,
JSON, CSV and HTML responses, the Jinja2 environments, and languages (i18n).
Imports the domain and storage (to answer their errors); nothing above it.
"""
