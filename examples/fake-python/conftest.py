"""pytest fixtures: one fake for the session, reset before every test."""

import pytest

from pavefake import Fake, Receiver


@pytest.fixture(scope="session")
def fake():
    f = Fake()
    yield f
    f.close()


@pytest.fixture(autouse=True)
def reset(fake):
    assert fake.control("POST", "/_fake/reset").status == 200
    yield


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
