"""Service areas become records (with their service managers); teams name their team managers.

The old free-text `Team.service_area` values become ServiceArea rows, one per distinct name.
"""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


def areas_from_text(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    ServiceArea = apps.get_model("accounts", "ServiceArea")
    for team in Team.objects.exclude(service_area_name=""):
        area, _ = ServiceArea.objects.get_or_create(name=team.service_area_name.strip()[:120])
        team.service_area = area
        team.save(update_fields=["service_area"])


def text_from_areas(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    for team in Team.objects.select_related("service_area"):
        team.service_area_name = team.service_area.name if team.service_area else ""
        team.save(update_fields=["service_area_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ServiceArea",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=120, unique=True)),
                (
                    "managers",
                    models.ManyToManyField(
                        blank=True,
                        help_text="The service managers of this area.",
                        related_name="managed_service_areas",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.RenameField(model_name="team", old_name="service_area", new_name="service_area_name"),
        migrations.AddField(
            model_name="team",
            name="service_area",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="teams",
                to="accounts.servicearea",
            ),
        ),
        migrations.RunPython(areas_from_text, text_from_areas),
        migrations.RemoveField(model_name="team", name="service_area_name"),
        migrations.AddField(
            model_name="team",
            name="managers",
            field=models.ManyToManyField(
                blank=True,
                help_text="The team managers of this team.",
                related_name="managed_teams",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
