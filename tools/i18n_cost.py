"""What the supporter pages' languages cost a Lambda cold start, Babel at run time vs.
what ships (stdlib gettext + extracted CLDR facts). Prints figures; asserts nothing.

    .venv/bin/python -m tools.i18n_cost
"""
import io
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
_SHIPPED = """
import time; t = time.perf_counter()
from datetime import datetime, timezone
from chalicelib.web import i18n
for code in i18n.SUPPORTED:
    language = i18n.language(code)
    language.date(datetime.now(timezone.utc)); language.number(1234); language.gettext("Send my report")
print((time.perf_counter() - t) * 1000)
"""
_BABEL = """
import time; t = time.perf_counter()
from datetime import datetime, timezone
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import Translations
for code in ("en", "es", "fr", "ar"):
    format_date(datetime.now(timezone.utc), "long", locale=code); format_decimal(1234, locale=code)
    format_time(datetime.now(timezone.utc), "short", locale=code)
    Translations.load("locales", [code]).gettext("Send my report")
print((time.perf_counter() - t) * 1000)
"""


def _median_ms(code: str) -> float:
    times = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,  # noqa: S603
                                  check=True).stdout) for _ in range(RUNS)]
    return statistics.median(times)


def _zipped_kib(folder: Path, suffixes=None) -> float:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in folder.rglob("*"):
            if path.is_file() and (suffixes is None or path.suffix in suffixes):
                archive.write(path, path.relative_to(folder))
    return len(out.getvalue()) / 1024


def main():
    import babel
    babel_dir = Path(babel.__file__).parent
    print(f"cold import + first use of 4 languages (median of {RUNS} fresh processes):")
    print(f"  shipped (gettext + cldr.json): {_median_ms(_SHIPPED):6.1f} ms")
    print(f"  Babel at run time:             {_median_ms(_BABEL):6.1f} ms")
    print("added to the deployment zip (deflated):")
    print(f"  shipped locales/*.mo + cldr.json: {_zipped_kib(ROOT / 'locales', {'.mo', '.json'}):8.0f} KiB")
    print(f"  Babel package:                    {_zipped_kib(babel_dir):8.0f} KiB")


if __name__ == "__main__":
    main()
