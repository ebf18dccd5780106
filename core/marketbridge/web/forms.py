"""The pages' forms (WTForms with Flask-WTF's CSRF token), labels translated lazily.

Settings forms of shops and marketplace accounts are generated from the
adapter's :class:`~marketbridge.adapters.SettingField` declarations by
:func:`settings_form`: secret fields are password inputs that are never
filled in again ("leave empty to keep the current value").
"""
from __future__ import annotations

from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    URLField,
)
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from marketbridge.accounts import MIN_PASSWORD_LENGTH
from marketbridge.adapters.settings import FieldKind, SettingField
from marketbridge.web import i18n

SETTING_PREFIX = "setting_"

try:  # WTForms 3.3+ wants SelectChoice objects; older versions take (value, label) tuples and dicts for groups
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def options(pairs: Iterable[tuple[Any, Any]], group: str | None = None) -> list[Any]:
    """Select choices from ``(value, label)`` pairs, in the form this WTForms version expects."""
    if SelectChoice is None:
        return [(value, str(label)) for value, label in pairs]
    return [SelectChoice(value, str(label), optgroup=group) for value, label in pairs]


def grouped_options(groups: dict[str, list[tuple[Any, Any]]]) -> Any:
    """Choices in ``<optgroup>`` groups (the ``""`` group has none)."""
    if SelectChoice is None:
        return {name: [(v, str(label)) for v, label in pairs] for name, pairs in groups.items()}
    return [choice for name, pairs in groups.items() for choice in options(pairs, name or None)]


def _language_choices() -> list[Any]:
    return options([("", _l("Browser language")), *i18n.LANGUAGE_NAMES.items()])


class PostForm(FlaskForm):
    """A form with nothing but its CSRF token (action buttons)."""


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Log in"))


class SetupForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=255),
                                                         Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an e-mail address."))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(num)d characters.",
                                                                   num=MIN_PASSWORD_LENGTH))])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    locale = SelectField(_l("Language"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Create administrator"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = _language_choices()


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[])
    submit = SubmitField(_l("Save language"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = _language_choices()


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(num)d characters.",
                                                                   num=MIN_PASSWORD_LENGTH))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Change password"))


# -- shops and marketplace accounts ----------------------------------------------------------------------------


class SettingsForm(FlaskForm):
    """Base of the generated settings forms: a name, then one field per :class:`SettingField`."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("How this appears in Marketbridge, e.g. \u201cMy shop (DE)\u201d."))
    submit = SubmitField(_l("Save"))

    declared: tuple[SettingField, ...] = ()
    kept_secrets: frozenset[str] = frozenset()

    def setting_fields(self) -> list[Field]:
        """The generated fields, in the adapter's order."""
        return [self[SETTING_PREFIX + f.name] for f in self.declared]

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """``(settings, secrets)`` as entered; empty secrets are left out (they keep the stored value)."""
        settings: dict[str, Any] = {}
        secrets: dict[str, str] = {}
        for declared in self.declared:
            data = self[SETTING_PREFIX + declared.name].data
            if declared.secret:
                if data:
                    secrets[declared.name] = str(data)
            elif declared.kind is FieldKind.BOOLEAN:
                settings[declared.name] = bool(data)
            else:
                settings[declared.name] = (str(data).strip() if data is not None else "")
        return settings, secrets


class _RequiredUnlessKept:
    """A secret is required on creation; on editing an empty value keeps the stored one."""

    field_flags = {"required": True}

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, form: SettingsForm, field: Field) -> None:
        if not field.data and self.name not in form.kept_secrets:
            raise ValidationError(str(_l("This field is required.")))


def settings_form(owner: Any, declared: Iterable[SettingField], *, kept_secrets: Iterable[str] = (),
                  data: dict[str, Any] | None = None, formdata: Any = None) -> SettingsForm:
    """Build and instantiate a settings form for an adapter class ``owner``.

    ``kept_secrets`` names the secret settings already stored (they may be
    left empty); ``data`` fills the plain fields (never the secret ones).
    """
    fields = tuple(declared)

    class Generated(SettingsForm):
        pass

    for setting in fields:
        label = i18n.plugin_text(owner, setting.label)
        help_text = i18n.plugin_text(owner, setting.help)
        validators: list[Any] = []
        if setting.secret:
            if setting.required:
                validators.append(_RequiredUnlessKept(setting.name))
            else:
                validators.append(Optional())
            field: Field = PasswordField(label, validators=validators, description=help_text,
                                         render_kw={"autocomplete": "new-password"})
        elif setting.kind is FieldKind.BOOLEAN:
            field = BooleanField(label, description=help_text, default=bool(setting.default))
        elif setting.kind is FieldKind.CHOICE:
            pairs = [(value, i18n.plugin_text(owner, text)) for value, text in setting.choices]
            field = SelectField(label, choices=options(pairs if setting.required else [("", "—"), *pairs]), description=help_text,
                                default=setting.default if setting.default is not None else None)
        else:
            validators.append(DataRequired() if setting.required else Optional())
            if setting.kind is FieldKind.URL:
                validators.append(URL(require_tld=False, message=_l("Enter a full address starting with https://")))
                field = URLField(label, validators=validators, description=help_text,
                                 default=setting.default or None)
            else:
                validators.append(Length(max=2000))
                field = StringField(label, validators=validators, description=help_text,
                                    default=setting.default or None)
        setattr(Generated, SETTING_PREFIX + setting.name, field)
    Generated.declared = fields
    form_data = {SETTING_PREFIX + k: v for k, v in (data or {}).items()
                 if any(f.name == k and not f.secret for f in fields)}
    if data and "name" in data:
        form_data["name"] = data["name"]
    form = Generated(formdata=formdata, data=form_data) if formdata is not None else Generated(data=form_data)
    form.kept_secrets = frozenset(kept_secrets)
    return form


# -- connections ------------------------------------------------------------------------------------------------

FULFILMENT_CHOICES = [("merchant", _l("Shipped by me (merchant-fulfilled)")),
                      ("marketplace", _l("Shipped by the marketplace (e.g. Amazon FBA)"))]
IDENTIFIER_CHOICES = [("sku", _l("SKU / product number")), ("ean", _l("EAN / GTIN")),
                      ("product_id", _l("Shop product ID"))]


class ChooseEndsForm(FlaskForm):
    """Step one of a new connection: which shop and which marketplace account (a GET form)."""

    class Meta:
        csrf = False

    shop = SelectField(_l("Shop"), coerce=int, validators=[DataRequired()])
    account = SelectField(_l("Marketplace account"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Continue"))


class ConnectionForm(FlaskForm):
    """The settings of a connection (C1–C5, O3, O4, S4). ``marketplace``/``initial_status`` are
    replaced by select fields when the account and the shop can list their options."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example \u201cAmazon.de \u2192 my shop\u201d."))
    marketplace = StringField(_l("Marketplace"), validators=[DataRequired(), Length(max=40)],
                              description=_l("The marketplace's ID, as the marketplace names it."))
    country = StringField(_l("Country"), validators=[
        Optional(), Regexp(r"^[A-Za-z]{2}$", message=_l("Enter a two-letter country code such as DE or FR."))],
        description=_l("Two letters, e.g. DE. Left empty, the marketplace's country is used."))
    fulfilment_channel = RadioField(_l("Who ships the orders"), choices=[], default="merchant",
                                    description=_l("Orders shipped by the marketplace need a connection of "
                                                   "their own."))
    product_identifier = RadioField(_l("Match products by"), choices=[], default="sku",
                                    description=_l("The identifier that is the same in the shop and on the "
                                                   "marketplace. An order line without a match is held, never "
                                                   "dropped."))
    require_weights = BooleanField(_l("Require package weights"),
                                   description=_l("Hold orders whose products have no weight in the shop "
                                                  "until the weight is entered."))
    initial_status = StringField(_l("Status of new orders in the shop"), validators=[Optional(), Length(max=100)],
                                 description=_l("Left empty, the shop's default status is used."))
    default_carrier = StringField(_l("Default carrier"), validators=[Optional(), Length(max=100)],
                                  description=_l("Used when no carrier rule matches a tracking number. Without "
                                                 "it, such tracking numbers are not sent to the marketplace."))
    activation_date = DateField(_l("Import orders placed since"), validators=[DataRequired()],
                                description=_l("On activation, every open order placed since this day is "
                                               "imported. Move it back to pick up older open orders."))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fulfilment_channel.choices = options(FULFILMENT_CHOICES)
        self.product_identifier.choices = options(IDENTIFIER_CHOICES)


class OrderFilterForm(FlaskForm):
    """Filters of the order lists (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    state = SelectField(_l("State"), choices=[], default="")
    held = SelectField(_l("Held"), choices=[], default="")
    prime = SelectField(_l("Prime"), choices=[], default="")
    pickup = SelectField(_l("Click & Collect"), choices=[], default="")
    test = SelectField(_l("Test orders"), choices=[], default="")
    q = StringField(_l("Order number"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Filter"))

    def __init__(self, *args: Any, states: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state.choices = options([("", _l("Any")), *states])
        for field in (self.held, self.prime, self.pickup, self.test):
            field.choices = options([("", _l("Any")), ("yes", _l("Yes")), ("no", _l("No"))])
