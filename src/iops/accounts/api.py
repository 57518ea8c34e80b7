"""Accounts API: who am I, and my own API tokens (list and revoke).

Tokens are made with ``iops token create USERNAME``; the API lets their owner see which exist,
when each was last used, and stop one working.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from iops.accounts.models import ApiToken, User
from iops.accounts.selectors import tokens_of
from iops.accounts.services import token_revoke
from iops.platform.errors import NotFound

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    collar_number: str
    rank: str
    roles: list[str]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    usable: bool

    @staticmethod
    def of(token: ApiToken) -> TokenOut:
        return TokenOut(
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            usable=token.is_usable,
        )


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.get("/me", response=MeOut, summary="The signed-in user or the token's owner")
def me(request: HttpRequest) -> MeOut:
    user = _user(request)
    return MeOut(
        id=user.pk,
        username=user.get_username(),
        name=user.get_full_name(),
        collar_number=user.collar_number,
        rank=user.rank,
        roles=sorted(user.role_codes),
    )


@router.get("/me/tokens", response=list[TokenOut], summary="Your API tokens, newest first")
def my_tokens(request: HttpRequest) -> list[TokenOut]:
    return [TokenOut.of(token) for token in tokens_of(_user(request)).select_related("user")]


@router.post("/me/tokens/{token_id}/revoke", response=TokenOut, summary="Stop one of your tokens working")
def revoke_my_token(request: HttpRequest, token_id: int) -> TokenOut:
    user = _user(request)
    token = tokens_of(user).select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound(f"You have no token with id {token_id}.")
    return TokenOut.of(token_revoke(acting_user=user, token=token))
