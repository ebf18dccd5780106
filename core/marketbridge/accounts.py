"""Merchant user accounts (login for the pages)."""
from __future__ import annotations

import sqlalchemy as sa

from marketbridge.host import current_host
from marketbridge.models import User, db

MIN_PASSWORD_LENGTH = 10


def create_or_reset_user(email: str, password: str, *, admin: bool = False) -> User:
    """Create a user, or set a new password for an existing one. Commits.

    Raises ``ValueError`` for a too-short password.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    email = email.strip().lower()
    user = db.session.execute(sa.select(User).filter_by(email=email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, is_admin=admin, created_at=current_host().clock.now(), password_hash="")
        db.session.add(user)
    user.set_password(password)
    user.is_admin = user.is_admin or admin
    db.session.commit()
    return user


def has_users() -> bool:
    """Whether anyone can log in yet (otherwise the first-run page creates the first admin)."""
    return db.session.execute(sa.select(User.id).limit(1)).first() is not None
