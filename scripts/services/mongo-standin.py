#!/usr/bin/env python3
"""In-memory MongoDB wire-compatible stand-in for Cubby's tests.

No real ``mongod`` is available to the test environment, so this script serves
the MongoDB wire protocol (OP_MSG) from mongoeco's in-memory engine
(``mongoeco.wire.proxy.AsyncMongoEcoProxyServer`` over
``mongoeco.engines.memory.MemoryEngine``). Every process starts empty and
keeps nothing on disk.

    python mongo-standin.py --host 127.0.0.1 --port PORT   # PORT 0 = any free port

It prints ``READY <port>`` on stdout once it accepts connections and runs until
SIGTERM or SIGINT.

mongoeco is written against pymongo, which is lenient in ways the Rust
``mongodb`` driver is not. The launcher wraps the proxy's OP_MSG decode and
encode functions to fix three incompatibilities:

1. Int64 command arguments: the Rust driver sends ``skip``, ``limit``,
   ``batchSize``, ``getMore``, ``maxTimeMS`` (also ``cursor.batchSize``,
   ``killCursors`` ids and count_documents' ``$skip``/``$limit`` stages) as
   Int64, which mongoeco decodes to a wrapper type and then rejects ("wire
   find limit must be a non-negative integer"). They are turned back into
   plain ints before the command runs.
2. Cursor ids: mongoeco replies with Int32 cursor ids; the Rust driver requires
   Int64. ``cursor.id`` is re-encoded as Int64.
3. Error codes: some mongoeco error replies (unknown command, unknown pipeline
   stage, validation errors) have no ``code``, which the Rust driver rejects as
   an invalid reply. A numeric ``code`` and ``codeName`` are added. Replies
   that already have one, such as duplicate keys (11000, ``DuplicateKey``, or a
   ``writeErrors`` entry with code 11000), are left untouched.

Two more fixes found with the Rust driver:

- a ``getMore`` on a cursor the server does not know (e.g. after a restart)
  returns CursorNotFound (43) like MongoDB, instead of an empty final batch
  that would silently truncate results;
- arithmetic on Int64 (``$inc``, ``$mul``, ``$add``...) keeps Int64 like
  MongoDB, instead of narrowing results that fit in 32 bits to Int32.

The wrapped functions are mongoeco internals, so mongoeco and pymongo are
pinned exactly in requirements-mongo.txt.
"""

import argparse
import asyncio
import signal

from bson.int64 import Int64
from mongoeco.core import bson_scalars
from mongoeco.core.bson_scalars import BsonInt32, BsonInt64
from mongoeco.engines.memory import MemoryEngine
from mongoeco.errors import OperationFailure
from mongoeco.wire import proxy
from mongoeco.wire.cursors import WireCursorStore

# --- Fix 1: Int64 command arguments -> int ---------------------------------

INT_ARGUMENTS = ("skip", "limit", "batchSize", "getMore", "maxTimeMS")
INT_STAGES = ("$skip", "$limit")  # count_documents sends these as Int64 too


def _plain_int(value):
    return value.value if isinstance(value, BsonInt64) else value


def _fix_pipeline(value):
    """Turn Int64 $skip/$limit stages into ints, also in nested pipelines."""
    if isinstance(value, list):
        for item in value:
            _fix_pipeline(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in INT_STAGES:
                value[key] = _plain_int(item)
            else:
                _fix_pipeline(item)


def _decode_op_msg(header, payload, _decode=proxy.decode_op_msg):
    request = _decode(header, payload)
    body = request.body  # the request is frozen, its body dict is not
    for key in INT_ARGUMENTS:
        if key in body:
            body[key] = _plain_int(body[key])
    cursor = body.get("cursor")
    if isinstance(cursor, dict) and "batchSize" in cursor:
        cursor["batchSize"] = _plain_int(cursor["batchSize"])
    if "killCursors" in body and isinstance(body.get("cursors"), list):
        body["cursors"] = [_plain_int(c) for c in body["cursors"]]
    if "pipeline" in body:
        _fix_pipeline(body["pipeline"])
    return request


# --- Fixes 2 and 3: Int64 cursor ids, error codes on replies ---------------

# (substring of errmsg, code, codeName); first match wins.
ERROR_CODES = (
    ("unsupported wire command", 59, "CommandNotFound"),
    ("no such command", 59, "CommandNotFound"),
    ("unsupported aggregation stage", 40324, "Location40324"),
    ("already exists", 48, "NamespaceExists"),
    ("must be", 2, "BadValue"),
    ("invalid", 2, "BadValue"),
    ("unsupported", 2, "BadValue"),
)
UNKNOWN_ERROR = (8, "UnknownError")


def _code_for(message):
    message = str(message).lower()
    for needle, code, name in ERROR_CODES:
        if needle in message:
            return code, name
    return UNKNOWN_ERROR


def _add_code(error):
    if isinstance(error, dict) and error.get("code") is None:
        error["code"], name = _code_for(error.get("errmsg", ""))
        error.setdefault("codeName", name)


def _encode_op_msg_response(document, *, _encode=proxy.encode_op_msg_response, **kw):
    cursor = document.get("cursor")
    if isinstance(cursor, dict) and "id" in cursor:
        cursor["id"] = Int64(_plain_int(cursor["id"]))
    if document.get("ok") == 0:
        _add_code(document)
    for error in document.get("writeErrors") or ():
        _add_code(error)
    _add_code(document.get("writeConcernError"))
    return _encode(document, **kw)


proxy.decode_op_msg = _decode_op_msg
proxy.encode_op_msg_response = _encode_op_msg_response

# --- Extra fix: getMore on an unknown cursor -> CursorNotFound --------------

_get_more = WireCursorStore.get_more


def _checked_get_more(self, command_document, **kw):
    cursor_id = command_document.get("getMore")
    if isinstance(cursor_id, int) and cursor_id not in self._state:
        raise OperationFailure(
            f"cursor id {cursor_id} not found",
            code=43,
            details={"codeName": "CursorNotFound"},
        )
    return _get_more(self, command_document, **kw)


WireCursorStore.get_more = _checked_get_more


# --- Extra fix: Int64 arithmetic keeps Int64 ----------------------------------
# mongoeco narrows Int64 results that fit in 32 bits to Int32 ({$inc: {version:
# Int64(1)}} on Int64(1) stored Int32(2)); MongoDB keeps the wider type.

_wrap_numeric_result = bson_scalars._wrap_numeric_result


def _wrap_keeping_int64(left, right, result):
    value = _wrap_numeric_result(left, right, result)
    if isinstance(value, BsonInt32) and (
        isinstance(left, BsonInt64) or isinstance(right, BsonInt64)
    ):
        return BsonInt64(value.value)
    return value


bson_scalars._wrap_numeric_result = _wrap_keeping_int64


# --- Server ----------------------------------------------------------------


async def serve(host, port):
    server = proxy.AsyncMongoEcoProxyServer(engine=MemoryEngine(), host=host, port=port)
    address = await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY {address.port}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
