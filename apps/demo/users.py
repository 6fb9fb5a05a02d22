"""Demo accounts: one per role, created once, with logins that `make run` prints."""

from __future__ import annotations

from apps.users.models import Role, User

DEMO_PASSWORD = "coveris-demo"
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin@coveris.test", Role.ADMIN, "Ada Admin"),
    ("manager@coveris.test", Role.MANAGER, "Max Manager"),
    ("auditor@coveris.test", Role.AUDITOR, "Aud Itor"),
    ("employee@coveris.test", Role.EMPLOYEE, "Emma Employee"),
)


def seed_users() -> dict[str, User]:
    """Create the demo accounts that do not exist yet; return all of them by role."""
    users: dict[str, User] = {}
    for email, role, name in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            if role == Role.ADMIN:
                user = User.objects.create_superuser(email, DEMO_PASSWORD, full_name=name)
            else:
                user = User.objects.create_user(email, DEMO_PASSWORD, role=role, full_name=name)
        users[role] = user
    return users
