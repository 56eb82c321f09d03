"""Celery jobs for staff accounts: thin wrappers that take ids and call services; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import credentials


@shared_task(name="accounts.invitation_email", acks_late=True, max_retries=3)
def invitation_email(invitation_id: int) -> bool:
    """Email an invitation or password-reset link (once; nothing if it was used or withdrawn)."""
    return credentials.invitation_email_send(invitation_id=invitation_id)


@shared_task(name="accounts.single_sign_on_email", acks_late=True, max_retries=3)
def single_sign_on_email(user_id: int) -> bool:
    """Tell an invited single sign-on user to sign in with their council account."""
    return credentials.single_sign_on_email_send(user_id=user_id)
