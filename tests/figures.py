"""A pytest plugin: figures a test measured (sizes, counts), printed after the run,
where `make test` shows them, rather than inside captured output."""
import pytest

_FIGURES = []


@pytest.fixture
def report_figure():
    """Call with a line of text to print it in the run's summary."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
