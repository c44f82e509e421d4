"""Server-rendered pages: the Jinja2 environments (one per language) and the headers every page carries."""
import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chalice import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from chalicelib.web import i18n
from chalicelib.web.i18n import Language

# ``templates/`` and ``static/`` sit beside ``app.py`` both in the repository and in
# the deployment zip (``vendor/`` links to them; see docs/deploy.md, "Packaged route").
ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


@dataclass(frozen=True)
class Inlined:
    """The stylesheet and the script (if any) that a kind of page inlines from ``static/``:
    its Content-Security-Policy allows exactly these and nothing else. A script of several
    files is one bundle (see :func:`bundle`)."""
    style: str
    script: tuple | None = None


# kit.js (the action kit) comes with the page's script and with embed.js (assets.py).
KIT = "kit.js"
SUPPORTER = Inlined("page.css", (KIT, "page.js"))
FRAGMENT = Inlined("page.css")      # ?embed=1: embed.js runs in the partner's page instead
STAFF = Inlined("staff.css")        # the dashboard needs no script at all


@lru_cache(maxsize=None)
def environment(code: str) -> Environment:
    """Autoescaped templates whose ``_()`` and ``{% trans %}`` speak the language ``code``."""
    language = i18n.language(code)
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(language.translations, newstyle=True)
    env.globals["language"] = language
    return env


@lru_cache(maxsize=None)
def bundle(names: tuple) -> str:
    """Scripts from ``static/`` as one, in a scope of their own (nothing leaks into a
    partner's page): a later file calls what an earlier one defines. A file's opening
    ``/* ... */``, lines that are only a ``//`` comment, and indentation are left out:
    every page carries these bytes."""
    lines = []
    for name in names:
        text = (STATIC_DIR / name).read_text(encoding="utf-8").strip()
        if text.startswith("/*"):
            text = text[text.index("*/") + 2:]
        lines += [line.strip() for line in text.splitlines()]
    return "(function () {\n" + "\n".join(line for line in lines if line and not line.startswith("//")) + "\n})();"


@lru_cache(maxsize=None)
def _inline(name) -> tuple[Markup, str]:
    """A static file (or a bundle of several) to inline in pages, and its CSP hash source."""
    text = bundle(name) if isinstance(name, tuple) else (STATIC_DIR / name).read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"  # noqa: S704 - our own static file, not input


def render(template: str, language: Language, inlined: Inlined = SUPPORTER, **context) -> str:
    """``template`` in ``language``, with ``inlined``'s style and script as ``page_style``/``page_script``."""
    style, _ = _inline(inlined.style)
    script = _inline(inlined.script)[0] if inlined.script else None
    return environment(language.code).get_template(template).render(page_style=style, page_script=script,
                                                                **context)


def html_response(html: str, status=200, frame_ancestors=(), inlined: Inlined = SUPPORTER) -> Response:
    """An HTML page with a strict Content-Security-Policy.

    Only the campaign's own allowed origins may frame it (nobody, by default);
    the only style and script it may run are the ones ``inlined`` names.
    """
    ancestors = " ".join(frame_ancestors) or "'none'"
    scripts = _inline(inlined.script)[1] if inlined.script else "'none'"
    policy = (f"default-src 'none'; style-src {_inline(inlined.style)[1]}; script-src {scripts}; "
              f"img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}")
    return Response(body=html, status_code=status, headers={
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-store",
    })
