"""Sending one message through one channel. Webhooks are plain signed JSON POSTs and Slack incoming webhooks get
Slack's own JSON (text + blocks), both with httpx to the configured URL (Slack Enterprise, proxies, relays and
Mattermost all work, and tests can point it at a local receiver); email and any other service go through apprise,
so that Flowlytics writes no service clients of its own."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from lineage_backend.alerting.text import mail_subject, one_line

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0


class DeliveryError(Exception):
    """The channel did not take the message; the text never holds the channel's URL or secret."""


@dataclass(frozen=True)
class ChannelTarget:
    id: int
    name: str
    type: str
    url: str | None
    addresses: list[str] | None
    secret: str | None


@dataclass(frozen=True)
class Message:
    title: str
    text: str  # plain text / markdown body for chat and mail
    document: dict[str, Any]  # the webhook JSON (DESIGN.md: incidentId, state, title, rule, subject, ...)
    delivery_id: str  # an idempotency key receivers may use


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def masked_url(channel_type: str, url: str | None) -> str | None:
    """What the API shows of a channel's URL: webhooks whole, Slack and apprise URLs (tokens inside) reduced to
    scheme and host."""
    if not url or channel_type == "webhook":
        return url
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def smtp_apprise_url(smtp_url: str, addresses: list[str]) -> str:
    """`smtp://[user:pass@]host:port?from=addr[&secure=starttls|ssl]` (FLOWLYTICS_SMTP_URL) as an apprise
    mailto URL for these recipients."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryError("FLOWLYTICS_SMTP_URL must look like smtp://host:port?from=alerts@example.com")
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    sender = query.get("from") or "flowlytics@localhost"
    mode = query.get("secure") or ("ssl" if parts.scheme == "smtps" else "insecure")
    auth = ""
    if parts.username:
        auth = f"{quote(parts.username)}:{quote(parts.password or '')}@"
    to = ",".join(quote(a) for a in addresses)
    port = parts.port or (465 if mode == "ssl" else 25)
    return f"mailto://{auth}{parts.hostname}:{port}?to={to}&from={quote(sender)}&mode={mode}"


def send(channel: ChannelTarget, message: Message, *, smtp_url: str | None) -> str:
    """Deliver or raise DeliveryError; returns a short description of the result."""
    if channel.type == "webhook":
        return _send_webhook(channel, message)
    if channel.type == "slack":
        # Not apprise's slack://, which only ever posts to hooks.slack.com: the incoming-webhook URL as configured.
        if not channel.url:
            raise DeliveryError("the slack channel has no URL")
        link = message.document.get("url")
        return _post_json(channel.url, orjson.dumps(slack_payload(message.title, message.text, link)), {})
    if channel.type == "email":
        if not smtp_url:
            raise DeliveryError("no SMTP server: set FLOWLYTICS_SMTP_URL (or [flowlytics] smtp_url)")
        if not channel.addresses:
            raise DeliveryError("the email channel has no addresses")
        return _send_apprise(smtp_apprise_url(smtp_url, channel.addresses), message, title=mail_subject(message.title))
    if not channel.url:
        raise DeliveryError(f"the {channel.type} channel has no URL")
    return _send_apprise(channel.url, message)


SLACK_HEADER_MAX = 150  # Slack's limits: a header block's text, a section's text
SLACK_SECTION_MAX = 3000


def _slack_escape(text: str) -> str:
    """Slack mrkdwn reads &, < and > as markup (links, mentions): untrusted run text must not become any."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_preformatted(text: str, limit: int) -> str:
    """`text` inside a ``` block that it cannot close, at most `limit` characters: a zero-width space between
    backticks keeps a name's own ``` from ending the block (after which its text would be read as mrkdwn)."""
    escaped = _slack_escape(text).replace("``", "`\u200b`").replace("``", "`\u200b`")
    return "```" + _clip(escaped, limit - 6) + "```"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(title: str, text: str, link: str | None) -> dict[str, Any]:
    """An incoming-webhook message: `text` (the notification and fallback) and `blocks` (header, the body as
    preformatted text, a button into Airflow)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(one_line(title), SLACK_HEADER_MAX)}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _slack_preformatted(text, SLACK_SECTION_MAX)},
        },
    ]
    if link and urlsplit(link).scheme in ("http", "https"):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open in Airflow"}, "url": link}
                ],
            }
        )
    return {"text": _slack_escape(f"{title}\n{text}"), "blocks": blocks}


def _send_webhook(channel: ChannelTarget, message: Message) -> str:
    if not channel.url:
        raise DeliveryError("the webhook channel has no URL")
    body = orjson.dumps(message.document)
    headers = {"X-Flowlytics-Delivery": message.delivery_id}
    if channel.secret:
        headers["X-Flowlytics-Signature"] = signature(body, channel.secret)
    return _post_json(channel.url, body, headers)


def _post_json(url: str, body: bytes, headers: dict[str, str]) -> str:
    try:
        response = httpx.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=TIMEOUT_SECONDS
        )
    except httpx.TimeoutException:
        raise DeliveryError(f"timed out after {TIMEOUT_SECONDS:.0f} s") from None
    except httpx.HTTPError as error:
        raise DeliveryError(f"could not connect: {type(error).__name__}") from None
    if response.status_code >= 300:
        raise DeliveryError(f"the receiver answered HTTP {response.status_code}")
    return f"HTTP {response.status_code}"


def _send_apprise(url: str, message: Message, *, title: str | None = None) -> str:
    import apprise

    logging.getLogger("apprise").setLevel(logging.CRITICAL)  # its messages can quote URLs, and so tokens
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise DeliveryError("apprise does not recognise this channel's URL; see https://github.com/caronc/apprise/wiki")
    # The body is plain text: without TEXT apprise takes it for HTML, so an e-mail's text part lost its line
    # breaks and anything looking like a tag, and its HTML part carried untrusted names and errors as markup.
    if not notifier.notify(body=message.text, title=title or message.title, body_format=apprise.NotifyFormat.TEXT):
        raise DeliveryError("the service did not accept the notification (apprise reported a failure)")
    return "accepted"
