"""Remember when a user signed in, so the 12-hour absolute session limit can be enforced."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone


@receiver(user_logged_in)
def _remember_sign_in(sender, request, user, **kwargs):
    now = timezone.now().isoformat()
    request.session["signed_in_at"] = now
    # Signing in saves the session with a fresh idle limit: the next renewal is a minute on.
    request.session["renewed_at"] = now
