"""Security headers on every response, and no-store on everything a signed-in member sees."""

from __future__ import annotations

from flask import Flask, g

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

PERMISSIONS = ", ".join(f"{p}=()" for p in (
    "camera", "microphone", "geolocation", "payment", "usb", "interest-cohort",
    "browsing-topics", "display-capture", "clipboard-read",
))


def register(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        # same-origin: other sites never learn which Kindred page a link was followed from, and
        # our own HTTPS form posts carry the Referer that CSRF's strict same-origin check needs
        # (with no-referrer every POST over TLS would be refused).
        h["Referrer-Policy"] = "same-origin"
        h["X-Frame-Options"] = "DENY"
        h["Permissions-Policy"] = PERMISSIONS
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        if app.config.get("SEND_HSTS"):
            h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        # Pages seen while signed in must not sit in a shared computer's cache or history.
        if getattr(g, "member", None) is not None or response.mimetype == "application/json":
            h["Cache-Control"] = "no-store"
        elif "Cache-Control" not in h and response.mimetype == "text/html":
            h["Cache-Control"] = "no-cache"
        return response
