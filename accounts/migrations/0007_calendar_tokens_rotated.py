"""Every calendar feed token is replaced (issue 24 §4).

Until now the token was in the feed's URL path, so every poll by a calendar client wrote it into
the web server's access log. Any token issued before the feed moved is assumed to be in someone's
log: each user gets a new one, and the old address answers with a "renew your link" notice.
"""

import secrets

from django.db import migrations


def rotate(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.only("pk").iterator():
        # A queryset update: no audit event (the token is never audited), no save() signals.
        User.objects.filter(pk=user.pk).update(calendar_token=secrets.token_urlsafe(32))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_calendar_token_reset")]

    operations = [migrations.RunPython(rotate, migrations.RunPython.noop)]
