"""Every URL is scoped to the current organisation: another organisation's ids give 404 everywhere.

The test walks the URL configuration as it is when it runs, so URLs added later are covered.
It gives the other organisation one object of every organisation-scoped model (through the
factories of tests/support/factories.py where there is one, else generically), logs in as an admin of a
first organisation that has no data of its own, and
- requests every URL with arguments, filled with the other organisation's ids: 404 each
  (GET, or POST where the view takes only POST);
- requests every URL without arguments (as a page and as an htmx partial): the other
  organisation's names, numbers and texts (all replaced by markers) appear nowhere.
"""
import datetime as dt
import decimal
import itertools
import re
import uuid
from dataclasses import dataclass

import factory
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from accounts.models import Membership, Organisation, UphanceConnection
from tests.support import factories
from tests.support.factories import MembershipFactory, OrganisationFactory, UserFactory

PROJECT_APPS = ("accounts", "production", "customers", "integrations")

# URLs that name no organisation's object, or authenticate by something other than the session.
ALLOWED_NAMES = {
    "login",
    "logout",
    "healthz",
    "uphance_webhook",  # the secret in the URL names the organisation (tests/accounts/test_webhooks.py)
}
ALLOWED_NAME_PARTS = ("unsubscribe",)  # signed tokens, tested where they are built
ALLOWED_ROUTE_PREFIXES = ("admin/", "static/", "media/", "__debug__/", "__reload__/")

MARKER = "qzleak"
MAX_COMBINATIONS = 60


@dataclass
class Endpoint:
    route: str  # "board/orders/<int:uphance_id>/"
    name: str | None
    converters: dict
    regex: bool

    @property
    def kwargs(self) -> list[tuple[str, str]]:
        return re.findall(r"<(?:([^>:]+):)?([^>]+)>", self.route)

    def allowed(self) -> bool:
        return (
            self.name in ALLOWED_NAMES
            or any(part in (self.name or "") for part in ALLOWED_NAME_PARTS)
            or self.route.startswith(ALLOWED_ROUTE_PREFIXES)
        )

    def url(self, values: dict) -> str:
        return "/" + re.sub(r"<(?:[^>:]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), self.route)


def endpoints(patterns=None, prefix="", namespace="", converters=None, regex=False):
    converters = converters or {}
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        is_regex = regex or isinstance(pattern.pattern, RegexPattern)
        route = pattern.pattern._route if isinstance(pattern.pattern, RoutePattern) else str(pattern.pattern)
        merged = {**converters, **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from endpoints(pattern.url_patterns, prefix + route, ns, merged, is_regex)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield Endpoint(prefix + route, name, merged, is_regex)


# --- the other organisation's data -----------------------------------------------------------------


def org_scoped_models() -> list[type[models.Model]]:
    """Models of the project's apps that belong to an organisation, directly or through a parent."""
    candidates = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS and m is not Organisation]
    scoped: set = set()
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in scoped:
                continue
            for f in model._meta.concrete_fields:
                if f.is_relation and (f.related_model is Organisation or (f.related_model in scoped and not f.null)):
                    scoped.add(model)
                    changed = True
                    break
    return [m for m in candidates if m in scoped]


def factory_for(model):
    for value in vars(factories).values():
        if (
            isinstance(value, type)
            and issubclass(value, factory.django.DjangoModelFactory)
            and getattr(value._meta, "model", None) is model
        ):
            return value
    return None


def org_route(factory_cls) -> list[str] | None:
    """The factory keyword path that sets the organisation: ["organisation"], ["order", "organisation"]…"""
    declarations = factory_cls._meta.declarations
    if isinstance(declarations.get("organisation"), factory.SubFactory):
        return ["organisation"]
    for name, declaration in declarations.items():
        if isinstance(declaration, factory.SubFactory):
            rest = org_route(declaration.get_factory())
            if rest:
                return [name, *rest]
    return None


class Filler:
    """Creates objects with every required field set; text fields carry a marker."""

    def __init__(self, organisation, user):
        self.organisation = organisation
        self.user = user
        self.objects: dict[type, list] = {}
        self.counter = itertools.count(1)

    def marker(self) -> str:
        return f"{MARKER}{next(self.counter)}x"

    def value(self, f):
        if f.choices:
            return f.choices[0][0]
        if isinstance(f, models.EmailField):
            return f"{self.marker()}@leak.test"
        if isinstance(f, models.URLField):
            return f"https://{self.marker()}.leak.test/"
        if isinstance(f, (models.CharField, models.TextField)):
            return self.marker()[: f.max_length] if getattr(f, "max_length", None) else self.marker()
        if isinstance(f, models.BooleanField):
            return False
        if isinstance(f, (models.IntegerField, models.BigIntegerField, models.PositiveIntegerField)):
            return 900_000 + next(self.counter)
        if isinstance(f, models.DecimalField):
            return decimal.Decimal(1)
        if isinstance(f, models.FloatField):
            return 1.0
        if isinstance(f, models.DateTimeField):
            return timezone.now()
        if isinstance(f, models.DateField):
            return dt.date.today()
        if isinstance(f, models.TimeField):
            return dt.time(7, 0)
        if isinstance(f, models.DurationField):
            return dt.timedelta(hours=1)
        if isinstance(f, models.UUIDField):
            return uuid.uuid4()
        if isinstance(f, models.JSONField):
            return {}
        raise NotImplementedError(f"no test value for {f!r}")

    def related(self, model):
        if model is Organisation:
            return self.organisation
        if model is get_user_model():
            return self.user
        existing = self.objects.get(model)
        return existing[0] if existing else None

    def create(self, model):
        """An object of `model` for the organisation; None while a parent it needs is missing."""
        factory_cls = factory_for(model)
        route = org_route(factory_cls) if factory_cls else None
        if route:
            return factory_cls(**{"__".join(route): self.organisation})
        kwargs = {}
        for f in model._meta.concrete_fields:
            if f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            if f.is_relation:
                target = self.related(f.related_model)
                if target is None and not f.null:
                    return None
                if target is not None:
                    kwargs[f.name] = target
            elif not (f.has_default() or f.null):
                kwargs[f.name] = self.value(f)
        return model.objects.create(**kwargs)

    def mark_texts(self, obj):
        """Replace every free-text field of a stored object by a marker (update: no save logic)."""
        updates = {}
        for f in obj._meta.concrete_fields:
            if f.is_relation or f.primary_key or f.choices or not isinstance(f, (models.CharField, models.TextField)):
                continue
            if f.name in ("access_token", "refresh_token", "webhook_secret", "password", "colour", "time_zone"):
                continue
            if getattr(f, "max_length", None) is not None and f.max_length < 12:
                continue
            updates[f.name] = self.value(f)
        if updates:
            type(obj).objects.filter(pk=obj.pk).update(**updates)

    def populate(self):
        pending = org_scoped_models()
        while pending:
            progress = False
            for model in list(pending):
                obj = self.create(model)
                if obj is not None:
                    self.objects.setdefault(model, []).append(obj)
                    pending.remove(model)
                    progress = True
            if not progress:
                raise AssertionError(
                    f"Cannot create {[m.__name__ for m in pending]} for the isolation test: add a factory "
                    "to tests/support/factories.py"
                )
        # Objects the factories made on the way (an order's manufacturer and season…).
        for model in org_scoped_models():
            field = "organisation" if any(f.name == "organisation" for f in model._meta.fields) else None
            if field:
                for obj in model.objects.filter(organisation=self.organisation):
                    if obj not in self.objects.get(model, []):
                        self.objects.setdefault(model, []).append(obj)
        for objects in self.objects.values():
            for obj in objects:
                self.mark_texts(obj)
        self.mark_texts(self.organisation)
        self.mark_texts(self.user)


# --- values for URL arguments ----------------------------------------------------------------------


def id_values(obj) -> list:
    values = [obj.pk]
    for name in ("uphance_id", "number", "slug", "token"):
        value = getattr(obj, name, None)
        if value not in (None, ""):
            values.append(value)
    return values


def candidates_for(kwarg: str, objects: dict[type, list], excluded: set) -> list:
    """The other organisation's ids a URL argument of this name could mean."""
    stem = re.sub(r"(_?(uphance_id|id|pk|number|slug))$", "", kwarg)
    stem = re.sub(r"^uphance_", "", stem).replace("_", "")
    matched = []
    if stem:
        for model, objs in objects.items():
            if model._meta.model_name.endswith(stem) or stem.endswith(model._meta.model_name):
                for obj in objs:
                    if kwarg.endswith("uphance_id"):
                        matched += [obj.uphance_id] if getattr(obj, "uphance_id", None) is not None else []
                    else:
                        matched += id_values(obj)
    if matched:
        return list(dict.fromkeys(matched))
    pool = [v for objs in objects.values() for obj in objs for v in id_values(obj)]
    return [v for v in dict.fromkeys(pool) if v not in excluded]


def fills(endpoint: Endpoint, objects, excluded) -> list[dict]:
    per_kwarg = []
    for _converter_name, kwarg in endpoint.kwargs:
        converter = endpoint.converters.get(kwarg)
        values = candidates_for(kwarg, objects, excluded)
        if converter is not None:
            values = [v for v in values if re.fullmatch(converter.regex, str(v))]
        per_kwarg.append([(kwarg, v) for v in values])
    return [dict(c) for c in itertools.islice(itertools.product(*per_kwarg), MAX_COMBINATIONS)]


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


@pytest.fixture
def two_organisations(db):
    mine = OrganisationFactory(name="Northwind Apparel", uphance_id=35802)
    me = UserFactory(username="isolated-admin")
    MembershipFactory(user=me, organisation=mine, role="admin")
    UphanceConnection.objects.create(
        organisation=mine, api_url="https://api.uphance.com", uphance_organisation_id=35802, access_token="t"
    )
    theirs = OrganisationFactory(name="Other Brand", uphance_id=35899)
    them = UserFactory(username="other-admin")
    MembershipFactory(user=them, organisation=theirs, role="admin")
    filler = Filler(theirs, them)
    filler.populate()
    filler.objects[Organisation] = [theirs]
    filler.objects.setdefault(Membership, [])
    excluded = {mine.pk, mine.uphance_id, me.pk, *Membership.objects.filter(user=me).values_list("pk", flat=True)}
    return me, filler.objects, excluded


def test_every_org_scoped_model_has_an_object_of_the_other_organisation(two_organisations):
    _, objects, _ = two_organisations
    missing = [m.__name__ for m in org_scoped_models() if not objects.get(m)]
    assert missing == []


def test_every_url_with_ids_of_another_organisation_is_404(client, two_organisations):
    me, objects, excluded = two_organisations
    client.force_login(me)
    leaks, unfillable, tried = [], [], 0
    for endpoint in endpoints():
        if not endpoint.kwargs or endpoint.allowed():
            continue
        if endpoint.regex:
            unfillable.append(f"{endpoint.route} (regex route: use path() or allow-list it)")
            continue
        values = fills(endpoint, objects, excluded)
        if not values:
            unfillable.append(f"{endpoint.route} ({endpoint.name})")
            continue
        for kwargs in values:
            url = endpoint.url(kwargs)
            response = client.get(url)
            if response.status_code == 405:
                response = client.post(url, {})
            tried += 1
            if response.status_code != 404:
                leaks.append(f"{response.status_code} {url} ({endpoint.name})")
    assert unfillable == [], "URL arguments the test cannot fill with another organisation's ids"
    assert leaks == []
    print(f"{tried} requests with another organisation's ids, all 404")


def test_urls_without_ids_show_nothing_of_another_organisation(client, two_organisations):
    me, _, _ = two_organisations
    client.force_login(me)
    leaks, seen = [], 0
    for endpoint in endpoints():
        if endpoint.kwargs or endpoint.allowed() or endpoint.regex:
            continue
        url = endpoint.url({})
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.status_code == 405:
                break
            seen += 1
            text = body(response)
            if MARKER in text or "Other Brand" in text:
                leaks.append(f"{url} {headers or ''}: {text[max(0, text.find(MARKER) - 80):][:200]!r}")
    assert seen
    assert leaks == []
