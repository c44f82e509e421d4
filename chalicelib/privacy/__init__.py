"""Personal data: erasing a supporter's name and email on request and after the
retention period, with audit records that hold none of it. Imports the domain,
storage and runtime.
"""
