"""The demo's alert capture: a local webhook receiver and, when aiosmtpd is installed, an SMTP server, that
write every message Flowlytics sends them to one JSON-lines file (and show it at http://127.0.0.1:PORT/).

    python scripts/demo_capture.py --out .demo/alerts/messages.jsonl --http-port 8081 [--smtp-port 8082]

Each line: {"receivedAt", "channel": "webhook"|"email", "title", "event", "incidentId", "text", ...}; the
webhook's whole JSON is under "document", an e-mail's recipients under "to". Nothing leaves the machine: it
listens on 127.0.0.1 only. Started and stopped by scripts/demo.sh (start / stop).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import signal
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_BODY = 1 << 20


class Capture:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.lock = threading.Lock()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch()

    def record(self, entry: dict[str, Any]) -> None:
        entry = {"receivedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"), **entry}
        line = json.dumps(entry, ensure_ascii=False)
        with self.lock, self.out.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        print(f"captured {entry['channel']}: {entry.get('title')}", flush=True)


def webhook_text(document: dict[str, Any]) -> str:
    """A few readable lines of a webhook's JSON: the runs that failed and who is downstream."""
    lines = [f"incident #{document.get('incidentId')} {document.get('event')} ({document.get('state')})"]
    for run in (document.get("runs") or [])[:10]:
        if isinstance(run, dict):
            lines.append(
                f"  run {run.get('jobNodeId')} {run.get('state') or ''} {run.get('errorMessage') or ''}".rstrip()
            )
    impact = document.get("impact") or {}
    for item in (impact.get("items") or [])[:20]:
        if isinstance(item, dict):
            owners = ", ".join(map(str, item.get("owners") or [])) or "no owner"
            lines.append(f"  downstream {item.get('id')} ({item.get('criticality') or 'unset'}; {owners})")
    return "\n".join(lines)


def webhook_handler(capture: Capture) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_error(413, "body too large for the demo capture (1 MiB)")
                return
            body = self.rfile.read(length)
            try:
                document = json.loads(body)
            except ValueError:
                self.send_error(400, "the demo capture expects a JSON body")
                return
            capture.record(
                {
                    "channel": "webhook",
                    "path": self.path,
                    "delivery": self.headers.get("X-Flowlytics-Delivery"),
                    "event": document.get("event"),
                    "incidentId": document.get("incidentId"),
                    "title": document.get("title"),
                    "state": document.get("state"),
                    "impact": (document.get("impact") or {}).get("summary"),
                    "text": webhook_text(document),
                    "document": document,
                }
            )
            self.send_response(204)
            self.end_headers()

        def do_GET(self) -> None:
            # The captured messages as plain text: the page shows untrusted text, so no HTML at all.
            text = capture.out.read_text(encoding="utf-8")
            body = (
                "".join(
                    f"{m['receivedAt']}  {m['channel']:<7}  {m.get('title')}\n{m.get('text') or ''}\n\n"
                    for m in map(json.loads, text.splitlines())
                )
                or "no alert message yet\n"
            )
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: messages are printed once captured
            pass

    return Handler


def start_smtp(capture: Capture, port: int) -> Any:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            part = message.get_body(preferencelist=("plain", "html"))
            capture.record(
                {
                    "channel": "email",
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "title": str(message["Subject"] or ""),
                    "text": part.get_content() if part is not None else "",
                }
            )
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--http-port", required=True, type=int)
    parser.add_argument("--smtp-port", type=int, help="also capture e-mail here (needs aiosmtpd)")
    args = parser.parse_args(argv)
    capture = Capture(args.out)
    server = ThreadingHTTPServer(("127.0.0.1", args.http_port), webhook_handler(capture))
    smtp = start_smtp(capture, args.smtp_port) if args.smtp_port else None
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"capturing webhooks on :{args.http_port}" + (f", e-mail on :{args.smtp_port}" if smtp else ""), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if smtp is not None:
            smtp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
