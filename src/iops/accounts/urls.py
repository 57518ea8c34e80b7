from django.urls import path

from iops.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/two-step/", views.totp_enrol, name="totp_enrol"),
    path("profile/two-step/remove/", views.totp_remove_view, name="totp_remove"),
    path("profile/tokens/<int:pk>/revoke/", views.own_token_revoke, name="token_revoke"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create_view, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", views.user_password_reset, name="user_password"),
    path("users/<int:pk>/unlock/", views.user_unlock_view, name="user_unlock"),
    path("users/<int:pk>/two-step/reset/", views.user_totp_reset, name="user_totp_reset"),
    path("users/<int:pk>/active/", views.user_active, name="user_active"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/<slug:code>/", views.role_edit, name="role_edit"),
]
