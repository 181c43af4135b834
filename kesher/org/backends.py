"""Model-backend sign-in that refuses inactive users (Django's default already does; kept
explicit so the rule is visible where authentication is configured)."""

from django.contrib.auth.backends import ModelBackend


class ActiveUserModelBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return getattr(user, "is_active", False)
