"""Server-rendered pages: the Jinja2 environment and the headers every page carries."""
from pathlib import Path

from chalice import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

# ``templates/`` sits beside ``app.py`` both in the repository and in the
# deployment zip (``vendor/templates`` links to it; see README, "Deploy").
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_ENVIRONMENT = None


def environment() -> Environment:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                                   autoescape=True, undefined=StrictUndefined,
                                   trim_blocks=True, lstrip_blocks=True)
    return _ENVIRONMENT


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def html_response(html: str, status=200, frame_ancestors=()) -> Response:
    """An HTML page with a strict Content-Security-Policy.

    Only the campaign's own allowed origins may frame it.
    """
    ancestors = " ".join(frame_ancestors) or "'none'"
    policy = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
              f"form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}")
    return Response(body=html, status_code=status, headers={
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-store",
    })
