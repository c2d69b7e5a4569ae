"""Forms of the Uphance connection wizard: the account's login, then the organisation to connect."""
from django import forms


class UphanceLoginForm(forms.Form):
    email = forms.EmailField(
        label="Uphance e-mail",
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    # Used once for the token request and then dropped: never stored, never logged.
    password = forms.CharField(
        label="Uphance password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}, render_value=False),
    )


class UphanceOrganisationForm(forms.Form):
    uphance_organisation_id = forms.TypedChoiceField(
        label="Uphance organisation", coerce=int, widget=forms.RadioSelect
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["uphance_organisation_id"].choices = [
            (o.id, f"{o.name or 'Unnamed organisation'} ({o.id})") for o in organisations
        ]
