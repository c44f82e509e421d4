"""Modules loaded when first used rather than when app.py is imported.

Every Lambda function of the app imports the whole of app.py (the API, the two
authorizers, the schedule, the stream fold), and a cold start pays for what it
imports: a report from the JSON API needs neither the dashboard nor Jinja2. So
app.py names the packages its views hand over to through :func:`lazy`, and each is
imported by the first view that reads from it.
"""
import importlib.util
import sys


def lazy(name: str):
    """Module ``name``, executed at its first attribute read (``importlib.util.LazyLoader``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
