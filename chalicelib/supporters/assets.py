"""Static files the API serves to partner pages (``embed.js``, bundled with the action kit's
script, ``kit.js``, which the form page inlines too)."""
import hashlib
from functools import lru_cache

from chalice import Response

from chalicelib.web.pages import KIT, STATIC_DIR, bundle

_TYPES = {".js": "text/javascript; charset=utf-8"}
# Partners include the script by a fixed URL, so it is cached briefly, with an
# ETag for cheap revalidation.
_MAX_AGE = 3600
_BUNDLES = {"embed.js": (KIT, "embed.js")}


@lru_cache(maxsize=None)
def _load(name: str) -> tuple[bytes, str]:
    body = bundle(_BUNDLES[name]).encode("utf-8") if name in _BUNDLES else (STATIC_DIR / name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def static_file(name: str, if_none_match: str | None = None) -> Response:
    """``static/<name>`` with its content type, caching headers and ETag (304 when unchanged)."""
    body, etag = _load(name)
    headers = {"Content-Type": _TYPES[name[name.rindex("."):]], "ETag": etag,
               "Cache-Control": f"public, max-age={_MAX_AGE}", "X-Content-Type-Options": "nosniff",
               "Cross-Origin-Resource-Policy": "cross-origin"}
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body.decode("utf-8"), status_code=200, headers=headers)
