"""The query string of every analytics page and CSV: the board's filters and a date window."""
from __future__ import annotations

import datetime as dt

from django import forms

from .selectors.common import (
    DEFAULT_WINDOW,
    MAX_RANGE_DAYS,
    WINDOWS,
    AnalyticsFilters,
    window_bounds,
)

MULTI = ("season", "warehouse", "manufacturer", "stage")


class AnalyticsFilterForm(forms.Form):
    """Validates the filters. A bad value is dropped and reported (`problems`), never fatal."""

    season = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    warehouse = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    manufacturer = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    stage = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    window = forms.TypedChoiceField(
        choices=[("", "Dates below"), *[(w, f"Last {w} days") for w in WINDOWS]], coerce=int, required=False,
        empty_value=None, label="Window",
    )
    to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(choices=[("", "All factories"), ("manufacturer", "Each manufacturer")], required=False,
                           label="Show")

    def __init__(self, data=None, *, options, today: dt.date, **kwargs):
        super().__init__(data, **kwargs)
        # "from" is a Python keyword: the field is added by name.
        self.fields = {"from": forms.DateField(required=False, label="From",
                                               widget=forms.DateInput(attrs={"type": "date"})), **self.fields}
        self.order_fields(["season", "manufacturer", "warehouse", "stage", "window", "from", "to", "by"])
        self.today = today
        self.fields["season"].choices = [(s.id, str(s)) for s in options.seasons]
        self.fields["warehouse"].choices = [(w.id, w.name) for w in options.warehouses]
        self.fields["stage"].choices = [(s.id, s.name) for s in options.stages]
        self.fields["manufacturer"].choices = [(m.id, m.name) for m in options.manufacturers]

    def clean(self):
        data = super().clean()
        if data.get("window") is not None:
            return data  # a window chosen: the dates below it are not used
        first, last = data.get("from"), data.get("to")
        if (first is None) != (last is None) and "from" not in self.errors and "to" not in self.errors:
            raise forms.ValidationError("Give both a from and a to date, or choose a window.")
        if first and last:
            if first > last:
                raise forms.ValidationError("The from date is after the to date.")
            if (last - first).days + 1 > MAX_RANGE_DAYS:
                raise forms.ValidationError("Choose at most three years.")
        return data

    @property
    def problems(self) -> list[str]:
        """What was not understood, in words (the page shows them; the rest of the filters apply)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        out = []
        for name, errors in self.errors.items():
            label = "Dates" if name == "__all__" else (self.fields[name].label or name.title())
            out.append(f"{label}: {' '.join(errors)}")
        return out

    def filters(self) -> AnalyticsFilters:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        data = self.cleaned_data
        values = {}
        for name in MULTI:
            if name in self.errors and self.data is not None:
                valid = {str(v) for v, _ in self.fields[name].choices}
                values[name] = [int(v) for v in self.data.getlist(name) if v in valid]
            else:
                values[name] = data.get(name) or []
        # A window chosen wins; else a valid from/to range; else the last 90 days.
        first, last = data.get("from"), data.get("to")
        window = data.get("window")
        if window is not None or "__all__" in self.errors or first is None or last is None:
            window = window or DEFAULT_WINDOW
            first, last = window_bounds(today=self.today, window=window)
        else:
            window = None
        return AnalyticsFilters(
            first=first, last=last, window=window,
            seasons=tuple(sorted(set(values["season"]))), warehouses=tuple(sorted(set(values["warehouse"]))),
            manufacturers=tuple(sorted(set(values["manufacturer"]))), stages=tuple(sorted(set(values["stage"]))),
            by_manufacturer=data.get("by") == "manufacturer",
        )

    def multi_filters(self) -> list[dict]:
        labels = {"season": "Season", "warehouse": "Warehouse", "stage": "Stage", "manufacturer": "Manufacturer"}
        chosen = self.filters()
        picked = {"season": chosen.seasons, "warehouse": chosen.warehouses, "stage": chosen.stages,
                  "manufacturer": chosen.manufacturers}
        return [
            {"name": name, "label": labels[name], "field": self[name],
             "selected": [label for value, label in self.fields[name].choices if value in picked[name]]}
            for name in ("season", "manufacturer", "warehouse", "stage")
        ]
