"""Forms of the Shipup pages: the per-organisation switch and channel filter."""
from django import forms

from customers.shipup.selectors import shipup_channels


class ShipupSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        required=False, label="Send sales orders waiting on production to Shipup",
        help_text="Shipup then notifies customers (in production, production delay…). Off by default.",
    )
    channels = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Channels",
        help_text="Only sales orders of the ticked channels are sent. None ticked: every channel.",
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = shipup_channels(organisation=organisation)


class PreviewFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=64, label="Sales order number")

    def query(self) -> str:
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""
