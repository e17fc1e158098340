"""Options and fixtures shared by every test folder."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis's checks of how fast and how freely it generates examples are about
# the strategies, not about stsgen, and fail at random on a busy machine. A
# failing example prints the blob that replays it. Under CI the examples are the
# same on every run, so a CI run on this machine predicts the one that lands;
# local runs keep exploring new ones.
CI_SETTINGS = {"derandomize": True, "database": None} if os.environ.get("CI") else {}
settings.register_profile(
    "stsgen",
    deadline=None,
    print_blob=True,
    **CI_SETTINGS,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
settings.load_profile("stsgen")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True, scope="session")
def private_template_cache(tmp_path_factory: pytest.TempPathFactory):
    """Compiled templates go to a folder of the run, not the user's ~/.cache, which
    tests rendering copied blueprints would fill with entries nobody reuses."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME")
    else:
        os.environ["XDG_CACHE_HOME"] = saved
