"""A webhook receiver for the tests, run as a process of its own: it verifies each delivery with the
``standardwebhooks`` library (as a site would) and appends what it got to a JSON Lines file.

    python tests/service/webhook_receiver.py PORT SECRET_FILE LOG_FILE MODE_FILE

``MODE_FILE`` holds how to answer, read on every request: ``ok`` (204), ``status N`` (answer N), ``slow S`` (sleep
S seconds, then 204), ``redirect`` (302 to another path). The secret is read from ``SECRET_FILE`` on every request
(the endpoint is made after the receiver starts). A delivery that does not verify is logged with ``"verified":
false`` and answered 401.
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> None:
    port, secret_file, log_file, mode_file = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            mode = (mode_file.read_text().strip() if mode_file.exists() else "ok").split()
            headers = {k.lower(): v for k, v in self.headers.items()}
            entry = {"at": time.time(), "path": self.path, "id": headers.get("webhook-id"), "mode": mode[0]}
            try:
                data = Webhook(secret_file.read_text().strip()).verify(body, headers)
                entry.update(verified=True, event=data)
            except (WebhookVerificationError, OSError, ValueError) as error:
                entry.update(verified=False, error=str(error))
            with open(log_file, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
            if not entry["verified"]:
                status = 401
            elif mode[0] == "status":
                status = int(mode[1])
            elif mode[0] == "slow":
                time.sleep(float(mode[1]))
                status = 204
            elif mode[0] == "redirect":
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            else:
                status = 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
