from django.urls import path

from apps.users import views

urlpatterns = [
    path("csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("login/", views.LoginView.as_view(), name="auth-login"),
    path("refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("me/", views.MeView.as_view(), name="auth-me"),
    path("token/", views.TokenObtainView.as_view(), name="auth-token"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
]
