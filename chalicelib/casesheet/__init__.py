"""The case-sheet importer: the text of an Urgent Action, as staff paste it, read into a
campaign body ready for ``PUT /staff/campaigns/{id}``, with a warning for every field it
could not find or found in a doubtful form. Pure text processing: no AWS, no HTTP.

It may import the domain and the CLDR facts under ``locales/`` (month and language names),
nothing else of ours. Only the staff side imports it (the draft route, the dashboard page),
and lazily, so that no supporter route pays for it at a cold start.

``reader.read_case_sheet`` is the entry point; ``source`` cleans the text, ``vocabulary``
holds the labels of each layout and language, ``dates`` reads dates, ``contacts`` the
officials' blocks, ``people`` and ``letter`` the rest.
"""
