"""Account settings and secrets: what the merchant enters, read into one typed value.

Account-level values arrive through ``context.settings`` and
``context.secrets`` (the host encrypts secrets at rest, D2). The endpoint URLs
are overridable so the same adapter talks to the emulator in tests and demo
mode.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from marketbridge.adapters import FieldKind, SettingField
from marketbridge.errors import AuthenticationFailed

from marketbridge_amazon.marketplaces import LWA_TOKEN_URL, REGION_ENDPOINTS

ACCOUNT_FIELDS: tuple[SettingField, ...] = (
    SettingField("selling_partner_id", "Seller ID (merchant token)",
                 help="Seller Central → Settings → Account Info → Merchant Token. Amazon also sends it as "
                      "selling_partner_id when the account is authorised."),
    SettingField("region", "Amazon region", kind=FieldKind.CHOICE, default="eu",
                 choices=(("na", "North America"), ("eu", "Europe, Middle East, India"), ("fe", "Far East"))),
    SettingField("lwa_client_id", "LWA client identifier",
                 help="Solution Provider Portal → Develop Apps → your app → LWA credentials."),
    SettingField("lwa_client_secret", "LWA client secret", kind=FieldKind.SECRET),
    SettingField("refresh_token", "Refresh token", kind=FieldKind.SECRET,
                 help="Filled by the authorisation flow; for a private (self-authorised) app paste it from "
                      "the Developer Central authorisation page."),
    SettingField("application_id", "SP-API application ID", required=False,
                 help="Solution Provider Portal → Develop Apps → App ID (amzn1.sp.solution…). Filled by the "
                      "authorisation flow; needed to renew the authorisation from Marketbridge."),
    SettingField("endpoint", "SP-API endpoint (advanced)", kind=FieldKind.URL, required=False,
                 help="Leave empty to use the region's endpoint. Demo mode points it at the built-in emulator."),
    SettingField("lwa_token_url", "LWA token URL (advanced)", kind=FieldKind.URL, required=False,
                 help=f"Leave empty for {LWA_TOKEN_URL}."),
)


@dataclass(frozen=True)
class AccountConfig:
    """One Amazon seller account's credentials and endpoints (secrets hidden from ``repr``)."""

    selling_partner_id: str
    endpoint: str
    lwa_token_url: str
    lwa_client_id: str
    lwa_client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)

    @classmethod
    def problems(cls, settings: Mapping[str, object], secrets: Mapping[str, str]) -> list[str]:
        """Plain-language list of what is missing (empty when complete)."""
        found: list[str] = []
        if not str(settings.get("selling_partner_id") or "").strip():
            found.append("Enter your Amazon seller ID (Seller Central → Settings → Account Info → Merchant Token).")
        if not str(settings.get("lwa_client_id") or "").strip() or not secrets.get("lwa_client_secret"):
            found.append("Enter the LWA client identifier and secret of your SP-API app "
                         "(Solution Provider Portal → Develop Apps → LWA credentials).")
        if not secrets.get("refresh_token"):
            found.append("Authorise Marketbridge in Seller Central so it receives a refresh token.")
        region = str(settings.get("region") or "eu")
        if region not in REGION_ENDPOINTS and not settings.get("endpoint"):
            found.append(f"Choose the Amazon region (na, eu or fe); {region!r} is not one.")
        return found

    @classmethod
    def from_context(cls, settings: Mapping[str, object], secrets: Mapping[str, str]) -> AccountConfig:
        """Read the account's configuration; raises ``AuthenticationFailed`` naming what is missing."""
        problems = cls.problems(settings, secrets)
        if problems:
            raise AuthenticationFailed(" ".join(problems), code="incomplete_settings")
        region = str(settings.get("region") or "eu")
        endpoint = str(settings.get("endpoint") or REGION_ENDPOINTS[region]).rstrip("/")
        return cls(
            selling_partner_id=str(settings["selling_partner_id"]).strip(),
            endpoint=endpoint,
            lwa_token_url=str(settings.get("lwa_token_url") or LWA_TOKEN_URL),
            lwa_client_id=str(settings["lwa_client_id"]).strip(),
            lwa_client_secret=secrets["lwa_client_secret"],
            refresh_token=secrets["refresh_token"],
        )
