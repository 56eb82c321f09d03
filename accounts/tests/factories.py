"""factory_boy factories for staff."""

from __future__ import annotations

import factory

from accounts.models import Team, User
from accounts.services import user_set_roles

TEST_PASSWORD = "correct-horse-battery-staple"  # noqa: S105  (test fixture only)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Family Safeguarding Team {n}")
    service_area = "Children's social care"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@council.example")
    team = factory.SubFactory(TeamFactory)
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            user_set_roles(user=self, roles=list(extracted))
