"""Directory test helpers: the relevance test's figures, printed in pytest's summary."""
import pytest

_REPORT: list[str] = []


@pytest.fixture
def relevance_report() -> list[str]:
    """Lines to print under "search relevance" at the end of the run."""
    return _REPORT


def pytest_terminal_summary(terminalreporter):
    if _REPORT:
        terminalreporter.section("search relevance (directory_data/judged_queries.toml)")
        for line in _REPORT:
            terminalreporter.write_line(line)
