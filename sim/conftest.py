import pytest

from sim.runner import SIMULATORS


@pytest.fixture(params=SIMULATORS)
def sim(request):
    """Every module bench runs on each simulator."""
    return request.param
