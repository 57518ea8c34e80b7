"""Pages for accounts: signing in and out (with the optional second step), a person's own account,
and the administrators' pages for users and roles.

Views read through selectors and access helpers and write through services; a service's domain
error goes back on the form field it names.
"""

from __future__ import annotations

import time
from base64 import b32encode
from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import verify_token

from iops.accounts import lockout
from iops.accounts.access import access_user, access_user_search
from iops.accounts.choices import Role
from iops.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    RolePermissionsForm,
    TotpCodeForm,
    TotpRemoveForm,
    UserCreateForm,
    UserFilterForm,
    UserForm,
    add_domain_error,
)
from iops.accounts.middleware import SESSION_KEY as LAST_ACTIVITY
from iops.accounts.models import ApiToken, User
from iops.accounts.selectors import locked_usernames, permissions_by_app, roles_overview, tokens_of
from iops.accounts.services import (
    role_effective_grants,
    role_permissions_set,
    token_revoke,
    totp_device_for,
    totp_enrol_confirm,
    totp_enrol_start,
    totp_remove,
    totp_reset,
    user_create,
    user_password_change,
    user_password_set,
    user_set_active,
    user_unlock,
    user_update,
)
from iops.audit.access import get_or_not_found
from iops.platform.errors import Conflict, DomainError, NotFound, PermissionRefused

# Between a right password and a right code, the session remembers who is signing in, briefly.
PENDING_SIGN_IN = "iops_pending_sign_in"
PENDING_SECONDS = 5 * 60

View = Callable[..., HttpResponse]


def requires(permission: str) -> Callable[[View], View]:
    """Signed in (else to the sign-in page) and holding ``permission`` (else the friendly 403)."""

    def decorator(view: View) -> View:
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorator


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


# --- signing in and out -------------------------------------------------------------------------


def _render_login(request: HttpRequest, form: LoginForm) -> HttpResponse:
    return render(
        request, "accounts/login.html", {"form": form, "next": _next_url(request), "page_title": "Sign in"}
    )


def _failure_message(username: str, password: str) -> str:
    # Someone who knows the password may learn the account is deactivated; nobody else learns
    # anything about the account, not even whether it exists.
    account = User.objects.filter(username=username, is_active=False).first()
    if account is not None and account.check_password(password):
        return "This account has been deactivated. If you think that is wrong, ask an administrator."
    return "The username or password is not right. Check them and try again."


def _complete_sign_in(request: HttpRequest, user: User, backend: str, device: Any = None) -> None:
    login(request, user, backend=backend)
    if device is not None:
        otp_login(request, device)
    request.session[LAST_ACTIVITY] = time.time()


@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    """First step: username and password. Lockout is django-axes' (see ``accounts.lockout``)."""
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]
        was_locked = lockout.is_locked(request, username)
        user = authenticate(request, username=username, password=password)
        if user is None:
            if was_locked:
                return lockout.lockout_page(request)
            form.add_error(None, _failure_message(username, password))
            return lockout.show_before_lockout(request, _render_login(request, form))
        # authenticate() notes which backend accepted the password; login() needs it back.
        backend: str = user.backend  # type: ignore[attr-defined]
        device = totp_device_for(user)
        if device is not None:
            request.session[PENDING_SIGN_IN] = {
                "user_id": user.pk,
                "backend": backend,
                "started": time.time(),
                "next": _next_url(request),
            }
            return redirect("accounts:login_code")
        _complete_sign_in(request, user, backend)
        return redirect(_next_url(request))
    return _render_login(request, form)


def _pending_sign_in(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict) or time.time() - float(pending.get("started", 0)) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=int(pending.get("user_id") or 0), is_active=True).first()
    return (user, pending) if user is not None else None


def login_code(request: HttpRequest) -> HttpResponse:
    """Second step, for people who turned on two-step verification: the code from their app."""
    found = _pending_sign_in(request)
    device = totp_device_for(found[0]) if found else None
    if found is None or device is None:
        request.session.pop(PENDING_SIGN_IN, None)
        messages.info(request, "Sign in again: it took too long, or your sign-in was interrupted.")
        return redirect("accounts:login")
    user, pending = found
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if lockout.is_locked(request, user.username):
            request.session.pop(PENDING_SIGN_IN, None)
            return lockout.lockout_page(request)
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("code", "You have entered too many wrong codes. Wait a minute, then try again.")
        elif verify_token(user, device.persistent_id, form.cleaned_data["code"]) is not None:
            request.session.pop(PENDING_SIGN_IN, None)
            _complete_sign_in(request, user, pending["backend"], device)
            return redirect(pending.get("next") or "/")
        else:
            form.add_error("code", "That code is not right. Enter the code your app shows now.")
            # A wrong code counts towards the same lockout as a wrong password.
            user_login_failed.send(sender=__name__, credentials={"username": user.username}, request=request)
            response = render(
                request, "accounts/login_code.html", {"form": form, "page_title": "Enter your code"}
            )
            return lockout.show_before_lockout(request, response)
    return render(request, "accounts/login_code.html", {"form": form, "page_title": "Enter your code"})


def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out by POST (a link could be followed by a prefetcher); GET asks to confirm."""
    if request.method == "POST":
        logout(request)
        messages.success(request, "You have signed out.")
        return redirect("accounts:login")
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "accounts/logout.html", {"page_title": "Sign out"})


# --- your own account ---------------------------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/profile.html",
        {
            "page_title": "Your account",
            "has_totp": totp_device_for(user) is not None,  # type: ignore[arg-type]
            "tokens": list(tokens_of(user)),
        },
    )


@login_required
@sensitive_post_parameters()
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_password_change(
                acting_user=request.user,  # type: ignore[arg-type]
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "Your password has been changed.")
            return redirect("platform:home")
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "page_title": "Change your password",
            "must_change": request.user.must_change_password,  # type: ignore[union-attr]
        },
    )


def _qr_svg(device: Any) -> str:
    qr = segno.make(device.config_url, error="m")
    return str(
        qr.svg_inline(scale=5, dark="#0b0c0c", light="#ffffff", title="QR code for your authenticator app")
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up two-step verification: scan the code (or type the secret), then prove it works."""
    user: User = request.user  # type: ignore[assignment]
    try:
        device = totp_enrol_start(acting_user=user)
    except Conflict:
        messages.info(request, "Two-step verification is already on for your account.")
        return redirect("accounts:profile")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_enrol_confirm(acting_user=user, code=form.cleaned_data["code"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            otp_login(request, device)
            messages.success(
                request, "Two-step verification is on. You will need a code each time you sign in."
            )
            return redirect("accounts:profile")
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/totp_enrol.html",
        {
            "form": form,
            "page_title": "Set up two-step verification",
            "qr_svg": _qr_svg(device),
            "secret": _grouped(secret),
        },
    )


@login_required
@sensitive_post_parameters()
def totp_remove_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if totp_device_for(user) is None:
        return redirect("accounts:profile")
    form = TotpRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            totp_remove(acting_user=user, password=form.cleaned_data["password"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Two-step verification is off.")
            return redirect("accounts:profile")
    return render(
        request, "accounts/totp_remove.html", {"form": form, "page_title": "Turn off two-step verification"}
    )


@login_required
@require_POST
def own_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user_id=request.user.pk)
    token_revoke(acting_user=request.user, token=token)  # type: ignore[arg-type]
    messages.success(request, f"Token {token.prefix}… has been revoked. Scripts using it will stop working.")
    return redirect("accounts:profile")


# --- administrators: users ----------------------------------------------------------------------


def _account(request: HttpRequest, pk: int) -> User:
    """The account an administrator is looking at, with the consultation logged."""
    try:
        return access_user(request.user, pk)
    except NotFound as error:
        raise Http404(error.message) from error
    except PermissionRefused as error:
        raise PermissionDenied(error.message) from error


def _account_for_action(pk: int) -> User:
    try:
        return get_or_not_found(User.objects.all(), pk, label="user")
    except NotFound as error:
        raise Http404(error.message) from error


@requires("accounts.manage_users")
def user_list(request: HttpRequest) -> HttpResponse:
    filters = UserFilterForm(request.GET or None)
    values: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    team = values.get("team")
    page = access_user_search(
        request.user,
        query=values.get("q") or "",
        role=values.get("role") or "",
        team_id=team.pk if team else None,
        status=values.get("status") or "",
        page=request.GET.get("page", 1),
    )
    locked = locked_usernames(account.username for account in page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/user_list.html",
        {
            "page_title": "Users",
            "filters": filters,
            "page": page,
            "rows": [(account, account.username in locked) for account in page.object_list],
            "query_string": query.urlencode(),
        },
    )


def _user_fields(form: UserForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "email": data["email"] or "",
        "collar_number": data["collar_number"] or "",
        "rank": data["rank"],
        "team": data["team"],
        "district": data["district"] or (data["team"].district if data["team"] else None),
        "roles": data["roles"],
    }


@requires("accounts.manage_users")
@sensitive_post_parameters("password")
def user_create_view(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = user_create(
                acting_user=request.user,  # type: ignore[arg-type]
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                must_change_password=form.cleaned_data["must_change_password"],
                **_user_fields(form),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Account created for {account.get_full_name()} ({account.username}).")
            return redirect("accounts:user_detail", pk=account.pk)
    return render(
        request, "accounts/user_form.html", {"form": form, "page_title": "Add a user", "creating": True}
    )


@requires("accounts.manage_users")
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "page_title": account.get_full_name() or account.username,
            "account": account,
            "account_roles": [Role(code).label for code in sorted(account.role_codes)],
            "locked": account.username in locked_usernames([account.username]),
            "has_totp": totp_device_for(account) is not None,
            "is_self": account.pk == request.user.pk,
        },
    )


@requires("accounts.manage_users")
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    initial = {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
        "collar_number": account.collar_number,
        "rank": account.rank,
        "team": account.team_id,
        "district": account.district_id,
        "roles": sorted(account.role_codes),
    }
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_update(acting_user=request.user, user=account, **_user_fields(form))  # type: ignore[arg-type]
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Changes to {account.username} have been saved.")
            return redirect("accounts:user_detail", pk=account.pk)
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "account": account, "page_title": f"Change {account.username}", "creating": False},
    )


@requires("accounts.manage_users")
@sensitive_post_parameters("password")
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_password_set(
                acting_user=request.user,  # type: ignore[arg-type]
                user=account,
                password=form.cleaned_data["password"],
                must_change=form.cleaned_data["must_change_password"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"The password for {account.username} has been reset.")
            return redirect("accounts:user_detail", pk=account.pk)
    return render(
        request,
        "accounts/user_password.html",
        {"form": form, "account": account, "page_title": f"Reset the password for {account.username}"},
    )


@requires("accounts.manage_users")
@require_POST
def user_unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_for_action(pk)
    user_unlock(acting_user=request.user, user=account)  # type: ignore[arg-type]
    messages.success(request, f"{account.username} is unlocked and can sign in again.")
    return redirect("accounts:user_detail", pk=account.pk)


@requires("accounts.manage_users")
@require_POST
def user_totp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_for_action(pk)
    if totp_reset(acting_user=request.user, user=account):  # type: ignore[arg-type]
        messages.success(
            request, f"Two-step verification is off for {account.username}. They can set it up again."
        )
    return redirect("accounts:user_detail", pk=account.pk)


@requires("accounts.manage_users")
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_for_action(pk)
    active = request.POST.get("active") == "1"
    try:
        user_set_active(acting_user=request.user, user=account, active=active)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
    else:
        verb = "reactivated" if active else "deactivated"
        messages.success(request, f"{account.username} has been {verb}.")
    return redirect("accounts:user_detail", pk=account.pk)


# --- administrators: roles ----------------------------------------------------------------------


@requires("accounts.manage_users")
def role_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/role_list.html",
        {
            "page_title": "Roles",
            "roles": roles_overview(request.user),
            "can_change": request.user.has_perm("accounts.manage_roles"),
        },
    )


@requires("accounts.manage_roles")
def role_edit(request: HttpRequest, code: str) -> HttpResponse:
    try:
        role = Role(code)
    except ValueError as error:
        raise Http404("There is no such role.") from error
    current = role_effective_grants()[role.value]
    form = RolePermissionsForm(request.POST or None, groups=permissions_by_app(), initial_names=current)
    if request.method == "POST" and form.is_valid():
        try:
            role_permissions_set(acting_user=request.user, role=role.value, permissions=form.chosen())  # type: ignore[arg-type]
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"The permissions of the {role.label.lower()} role have been saved.")
            return redirect(f"{reverse('accounts:role_list')}#role-{role.value}")
    return render(
        request,
        "accounts/role_edit.html",
        {"form": form, "role": role, "page_title": f"Change the {role.label.lower()} role"},
    )
