"""Fixtures for crimes tests: a control room, investigators, a supervisor and the crime registrar."""

from __future__ import annotations

from typing import Any

import pytest

from iops.accounts.choices import Rank, Role, TeamKind
from iops.crimes.tests.factories import person_user, team


@pytest.fixture
def handler() -> Any:
    return person_user("handler", Role.CALL_HANDLER)


@pytest.fixture
def supervisor() -> Any:
    return person_user("sgt", Role.SUPERVISOR, rank=Rank.SERGEANT)


@pytest.fixture
def response_team(supervisor: Any) -> Any:
    return team(TeamKind.RESPONSE, "D1-RESP", supervisor=supervisor)


@pytest.fixture
def cid(supervisor: Any) -> Any:
    return team(TeamKind.CID, "D1-CID", supervisor=supervisor)


@pytest.fixture
def investigator(cid: Any) -> Any:
    return person_user("dc", Role.INVESTIGATOR, team=cid, rank=Rank.DETECTIVE_CONSTABLE)


@pytest.fixture
def registrar() -> Any:
    return person_user("fcr", Role.CRIME_REGISTRAR)


@pytest.fixture
def officer(response_team: Any) -> Any:
    return person_user("pc", Role.RESPONSE_OFFICER, team=response_team, rank=Rank.CONSTABLE)
