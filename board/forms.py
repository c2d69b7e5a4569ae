"""Forms of the board area: the board's query string, "show more" slices, saved views, stage settings."""
from decimal import Decimal

from django import forms
from django.http import QueryDict

from board.models import SavedView
from board.selectors.filters import (
    FORECASTS,
    GROUPS,
    ORDER_STATUS_ANY,
    STAGE_STATUSES,
    SWIMLANES,
    BoardFilters,
    BoardOptions,
    board_options,
)
from production.models import Stage
from production.models.orders import DeliveryStatus, OrderStatus


class BoardFilterForm(forms.Form):
    """Validates the board's query string. Invalid values are dropped (and reported), not fatal."""

    group = forms.ChoiceField(choices=GROUPS, required=False, widget=forms.RadioSelect, label="Board")
    swimlane = forms.ChoiceField(choices=SWIMLANES, required=False, widget=forms.RadioSelect, label="Swimlanes")
    q = forms.CharField(required=False, max_length=100, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Product, colour, PO…"}))
    season = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    warehouse = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    stage = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    manufacturer = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    stage_status = forms.ChoiceField(choices=[("", "Any stage status"), *STAGE_STATUSES], required=False,
                                     label="Stage status (pending: not started or in progress)")
    delivery_status = forms.ChoiceField(choices=[("", "Any delivery"), *DeliveryStatus.choices], required=False,
                                        label="Delivery status")
    status = forms.ChoiceField(
        choices=[("", "Open orders"), (ORDER_STATUS_ANY, "All orders"), *OrderStatus.choices], required=False,
        label="Order status",
    )
    late = forms.BooleanField(required=False, label="Late only")
    stuck = forms.BooleanField(required=False, label="Stuck only")
    waiting = forms.BooleanField(required=False, label="Customers waiting")
    at_risk = forms.BooleanField(required=False, label="Customer at risk")
    forecast = forms.ChoiceField(choices=[("", "Any forecast"), *FORECASTS], required=False, label="Forecast")
    slipped = forms.BooleanField(required=False, label="Slipped")

    MULTI = ("season", "warehouse", "stage", "manufacturer")

    def __init__(self, data=None, *, options: BoardOptions, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["season"].choices = [(s.id, str(s)) for s in options.seasons]
        self.fields["warehouse"].choices = [(w.id, w.name) for w in options.warehouses]
        self.fields["stage"].choices = [(s.id, s.name) for s in options.stages]
        self.fields["manufacturer"].choices = [(m.id, m.name) for m in options.manufacturers]

    def full_clean(self):
        super().full_clean()
        # A bad value in one field must not throw away the others: keep what did validate, and
        # for multi-value fields keep the valid values among those given.
        for name in list(self.errors):
            if name in self.MULTI and self.data is not None:
                valid = {str(v) for v, _ in self.fields[name].choices}
                self.cleaned_data[name] = [int(v) for v in self.data.getlist(name) if v in valid]

    def filters(self) -> BoardFilters:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        data = self.cleaned_data
        return BoardFilters(
            group=data.get("group") or "stage",
            swimlane=data.get("swimlane") or "manufacturer",
            q=(data.get("q") or "").strip(),
            seasons=tuple(sorted(set(data.get("season") or ()))),
            warehouses=tuple(sorted(set(data.get("warehouse") or ()))),
            stages=tuple(sorted(set(data.get("stage") or ()))),
            manufacturers=tuple(sorted(set(data.get("manufacturer") or ()))),
            stage_status=data.get("stage_status") or "",
            delivery_status=data.get("delivery_status") or "",
            order_status=data.get("status") or "",
            late=bool(data.get("late")),
            stuck=bool(data.get("stuck")),
            waiting=bool(data.get("waiting")),
            at_risk=bool(data.get("at_risk")),
            forecast=data.get("forecast") or "",
            slipped=bool(data.get("slipped")),
        )

    def multi_filters(self) -> list[dict]:
        """The multi-value filters as the board's dropdowns show them."""
        labels = {"season": "Season", "warehouse": "Warehouse", "stage": "Stage", "manufacturer": "Manufacturer"}
        return [
            {"name": name, "label": labels[name], "field": self[name], "selected": self.selected_labels(name)}
            for name in ("season", "manufacturer", "warehouse", "stage")
        ]

    def status_fields(self) -> list:
        return [self["stage_status"], self["delivery_status"], self["status"], self["forecast"]]

    def selected_labels(self, name: str) -> list[str]:
        """Labels of the chosen values of a multi-value field (for the dropdown's summary)."""
        chosen = set(self.cleaned_data.get(name) or ()) if hasattr(self, "cleaned_data") else set()
        return [label for value, label in self.fields[name].choices if value in chosen]


def board_filters_from_query(*, organisation, query, options: BoardOptions | None = None) -> BoardFilters:
    """BoardFilters from a board query string or QueryDict (a saved view's, an e-mail's); invalid
    values are dropped, as on the board itself."""
    if isinstance(query, str):
        query = QueryDict(query.lstrip("?"))
    form = BoardFilterForm(query, options=options or board_options(organisation=organisation))
    form.is_valid()
    return form.filters()


class BoardSliceForm(forms.Form):
    """Which slice of cards "show more" asks for."""

    # [0-9], not \d: \d also matches other scripts' digits ("١٢").
    column = forms.RegexField(regex=r"^(not_started|unplaced|none|stage-[0-9]{1,18}|m-([0-9]{1,18}|none))$")
    lane = forms.RegexField(regex=r"^(all|[ms]-([0-9]{1,18}|none))$", required=False)
    offset = forms.IntegerField(min_value=0, max_value=1_000_000, required=False)


class LanePageForm(forms.Form):
    lane_offset = forms.IntegerField(min_value=0, max_value=100_000, required=False)


class SavedViewForm(forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ("name", "query")
        widgets = {"query": forms.HiddenInput}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the view a name.")
        return name

    def clean_query(self):
        return (self.cleaned_data.get("query") or "").lstrip("?")


class StageSettingsForm(forms.ModelForm):
    position = forms.IntegerField(min_value=0, max_value=10_000)
    stuck_after_days = forms.DecimalField(
        min_value=Decimal("0.1"), max_value=Decimal(9999), decimal_places=1, required=False,
        label="Stuck after (days)",
    )

    class Meta:
        model = Stage
        fields = ("position", "stuck_after_days")


StageSettingsFormSet = forms.modelformset_factory(Stage, form=StageSettingsForm, extra=0, can_delete=False)
