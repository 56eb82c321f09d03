"""factory_boy factories for staff."""

from __future__ import annotations

import factory

from accounts.models import ServiceArea, Team, User
from accounts.roles import Role
from accounts.services import user_set_roles

TEST_PASSWORD = "correct-horse-battery-staple"


class ServiceAreaFactory(factory.django.DjangoModelFactory[ServiceArea]):
    class Meta:
        model = ServiceArea
        django_get_or_create = ("name",)

    name = "Children's social care"


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Family Safeguarding Team {n}")
    service_area = factory.SubFactory(ServiceAreaFactory)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@council.example")
    team = factory.SubFactory(TeamFactory)
    password = factory.django.Password(TEST_PASSWORD)

    roles = factory.PostGeneration(lambda user, create, extracted, **kwargs: _give_roles(user, create, extracted))


def _give_roles(user: User, create: bool, extracted: list[Role] | None) -> None:
    """UserFactory(roles=[...]): the roles, and the teams and areas a manager manages."""
    if create and extracted:
        user_set_roles(user=user, roles=list(extracted))
        # Wire managers the way the staff pages do: a team manager manages their own team, a
        # service manager their team's service area.
        if Role.TEAM_MANAGER in extracted and user.team is not None:
            user.team.managers.add(user)
        if Role.SERVICE_MANAGER in extracted and user.team is not None and user.team.service_area:
            user.team.service_area.managers.add(user)
