"""The SMTP server the tests send mail to: aiosmtpd on loopback, keeping each message it accepts
as a JSON file that the tests read back.

    smtp-sink.py --host 127.0.0.1 --port 0 --spool DIR

Prints `READY <port>` on standard output once it accepts connections. Each accepted message is
written to DIR/<its Message-ID, without the angle brackets>.json (written aside, then renamed,
so a reader never sees half a file) before the server answers `250`, as

    {"mail_from": ..., "rcpt_tos": [...], "message_id": ..., "subject": ..., "text": ...,
     "html": ...}

with the headers decoded and the parts in UTF-8. A recipient whose local part starts with
`refused` is refused for good, with a reply that names it (as real servers do): `550 5.1.1
<refused@example.org>: recipient unknown`; one whose local part starts with `deferred` is refused
for now, `451 4.3.0 <deferred@example.org>: try again later`. Nothing is relayed anywhere.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import re
import signal
import socket
import tempfile

from aiosmtpd.controller import Controller


def decoded(content: bytes) -> dict:
    """The parts of a message the tests compare, decoded."""
    message = email.message_from_bytes(content, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return {
        "message_id": str(message.get("Message-ID", "")),
        "subject": str(message.get("Subject", "")),
        "to": str(message.get("To", "")),
        "from": str(message.get("From", "")),
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
    }


class Sink:
    """Accepts every message but those for a `refused...` or `deferred...` recipient, and files
    it."""

    def __init__(self, spool: str):
        self.spool = spool

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local.lower().startswith("refused"):
            return f"550 5.1.1 <{address}>: recipient unknown"
        if local.lower().startswith("deferred"):
            return f"451 4.3.0 <{address}>: try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        record = decoded(envelope.original_content or envelope.content)
        record["mail_from"] = envelope.mail_from
        record["rcpt_tos"] = list(envelope.rcpt_tos)
        name = re.sub(r"[^A-Za-z0-9._@+-]", "_", record["message_id"].strip("<> ")) or "no-id"
        handle, path = tempfile.mkstemp(dir=self.spool, suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
        os.replace(path, os.path.join(self.spool, name + ".json"))
        return "250 OK: queued"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--spool", required=True)
    arguments = parser.parse_args()
    os.makedirs(arguments.spool, exist_ok=True)

    port = arguments.port
    if port == 0:
        # aiosmtpd's controller needs a port up front: ask the kernel for a free one.
        with socket.socket() as probe:
            probe.bind((arguments.host, 0))
            port = probe.getsockname()[1]
    controller = Controller(
        Sink(arguments.spool),
        hostname=arguments.host,
        port=port,
        # SMTPUTF8 and 8BITMIME, as real servers offer; no AUTH (plain loopback, no TLS).
        enable_SMTPUTF8=True,
        data_size_limit=10 * 1024 * 1024,
    )
    controller.start()
    print(f"READY {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    controller.stop()


if __name__ == "__main__":
    asyncio.run(main())
