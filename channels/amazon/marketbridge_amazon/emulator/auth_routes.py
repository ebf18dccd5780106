"""LWA token endpoint, ``createRestrictedDataToken`` (Tokens 2021-03-01) and Seller Central's consent page."""
from __future__ import annotations

import json
import secrets
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, redirect, request

from marketbridge_amazon.emulator.core import (APPLICATION_ID, CLIENT_ID, CLIENT_SECRET, RDT_LIFETIME,
                                               TOKEN_LIFETIME, AccessToken)

if TYPE_CHECKING:
    from marketbridge_amazon.emulator.core import AmazonEmulator

RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return Response(json.dumps({"error": error, "error_description": description}), status=status,
                    content_type="application/json")


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body style='font-family:sans-serif;max-width:40em;margin:3em auto'><h1>{escape(title)}</h1>"
            f"{body}</body></html>")
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def _consent_problem(args: dict[str, str]) -> str | None:
    if args.get("application_id") != APPLICATION_ID:
        return "This application is not registered with the emulated Amazon (unknown application_id)."
    if not args.get("state"):
        return "The request has no state parameter."
    target = urlsplit(args.get("redirect_uri") or "")
    if target.scheme not in ("http", "https") or not target.netloc:
        return "The redirect_uri is missing or not an absolute http(s) address registered with the app."
    return None


def register(emu: AmazonEmulator, app: Flask) -> None:
    @app.get("/apps/authorize/consent")
    def consent() -> Response:
        """Seller Central's consent page (website authorisation workflow), emulated for the demo and tests."""
        args = {k: request.args.get(k, "") for k in ("application_id", "state", "redirect_uri", "version")}
        problem = _consent_problem(args)
        if problem:
            return _page("Amazon Seller Central (emulated)", f"<p>{escape(problem)}</p>", 400)
        confirm = "/apps/authorize/confirm?" + urlencode(args)
        return _page("Amazon Seller Central (emulated)",
                     f"<p>An application asks for access to the selling account <b>{escape(emu.default_seller)}"
                     "</b>: orders, shipments, listings and pickup stores.</p>"
                     f"<p><a id='confirm' href='{escape(confirm)}'>Confirm</a></p>")

    @app.get("/apps/authorize/confirm")
    def confirm_consent() -> Response:
        """The seller confirmed: back to the app's redirect URI with a five-minute ``spapi_oauth_code``."""
        args = {k: request.args.get(k, "") for k in ("application_id", "state", "redirect_uri", "version")}
        problem = _consent_problem(args)
        if problem:
            return _page("Amazon Seller Central (emulated)", f"<p>{escape(problem)}</p>", 400)
        with emu.lock:
            code = emu.issue_code()
        back = urlencode({"state": args["state"], "selling_partner_id": emu.default_seller,
                          "spapi_oauth_code": code})
        separator = "&" if "?" in args["redirect_uri"] else "?"
        return redirect(f"{args['redirect_uri']}{separator}{back}", code=302)

    @app.post("/auth/o2/token")
    def lwa_token() -> Response:
        form = request.form
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _oauth_error("invalid_client", "Client authentication failed", 401)
        grant = form.get("grant_type")
        with emu.lock:
            if grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                seller = next((s for s in emu.sellers.values() if refresh in s.refresh_tokens), None)
                if seller is None or refresh in seller.revoked:
                    return _oauth_error("invalid_grant", "The request has an invalid grant parameter : refresh_token")
            elif grant == "authorization_code":
                entry = emu.codes.pop(form.get("code", ""), None)
                if entry is None or entry[1] <= emu.now():
                    return _oauth_error("invalid_grant", "The request has an invalid grant parameter : code")
                seller = emu.sellers[entry[0]]
                refresh = "Atzr|" + secrets.token_urlsafe(24)
                seller.refresh_tokens.add(refresh)
            else:
                return _oauth_error("unsupported_grant_type", "Unsupported grant_type")
            token = "Atza|" + secrets.token_urlsafe(24)
            emu.tokens[token] = AccessToken(seller.seller_id, refresh, emu.now() + TOKEN_LIFETIME)
        return Response(json.dumps({"access_token": token, "refresh_token": refresh, "token_type": "bearer",
                                    "expires_in": int(TOKEN_LIFETIME.total_seconds())}),
                        content_type="application/json")

    @app.post(RDT_PATH)
    @emu.guarded("createRestrictedDataToken")
    def create_rdt(seller_id: str) -> Response:
        body = emu.json_body()
        resources = body.get("restrictedResources") if isinstance(body, dict) else None
        if not isinstance(resources, list) or not resources or len(resources) > 50:
            return emu.error(400, "InvalidInput", "restrictedResources must list 1 to 50 resources",
                             operation="createRestrictedDataToken")
        paths = []
        for resource in resources:
            if not isinstance(resource, dict) or resource.get("method") not in ("GET", "PUT", "POST", "DELETE") \
                    or not str(resource.get("path", "")).startswith("/"):
                return emu.error(400, "InvalidInput", "Each restricted resource needs a method and a path",
                                 operation="createRestrictedDataToken")
            paths.append(str(resource["path"]))
        caller = emu.tokens[request.headers["x-amz-access-token"]]
        token = "Atz.sprdt|" + secrets.token_urlsafe(24)
        emu.tokens[token] = AccessToken(seller_id, caller.refresh_token, emu.now() + RDT_LIFETIME, frozenset(paths))
        return emu.answer({"restrictedDataToken": token, "expiresIn": int(RDT_LIFETIME.total_seconds())},
                          operation="createRestrictedDataToken")
