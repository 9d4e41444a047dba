#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reference cloud consumer for meterd gateways: the starting point for integrators.

What it shows (docs/integrators.md):
- a shared subscription ($share/<group>/...), so several consumers split the load;
- deduplication on (store_id, seq): the gateway delivers at least once, so a message may come
  twice; the primary key makes the second insert a no-op;
- packs: while a gateway drains a backlog it sends many rows in one message on
  meterd/v1/<gw>/batch, a JSON array of the same objects as the per-row topics
  (docs/mqtt-api.md#batch); each element is taken like a message of its own, one transaction
  per pack;
- readings, events and command results written to SQLite;
- a signed command (HMAC-SHA256 over the canonical JSON, docs/commands.md#signing).

  meterd_consumer.py consume --broker 127.0.0.1:1883 --db cloud.db [--group ingest]
  meterd_consumer.py send --broker 127.0.0.1:1883 --gateway gw-1 --key-file cmd.key \
      '{"op":"recharge","account":"a-17","args":{"order_id":"o-1","amount":"50.0000"}}'

Needs python3-paho-mqtt (Debian) or paho-mqtt (pip), 1.6 or 2.x.
"""
import argparse
import hashlib
import hmac
import json
import signal
import sqlite3
import sys
import threading
import time
import uuid

import paho.mqtt.client as mqtt

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
  store_id TEXT NOT NULL, seq INTEGER NOT NULL, gw TEXT NOT NULL, meter TEXT NOT NULL,
  ts INTEGER NOT NULL, poll_group TEXT, point TEXT NOT NULL, value TEXT,
  PRIMARY KEY (store_id, seq, point));
CREATE TABLE IF NOT EXISTS events (
  store_id TEXT NOT NULL, seq INTEGER NOT NULL, gw TEXT NOT NULL, meter TEXT,
  ts INTEGER NOT NULL, event TEXT NOT NULL, details TEXT,
  PRIMARY KEY (store_id, seq));
CREATE TABLE IF NOT EXISTS results (
  store_id TEXT NOT NULL, seq INTEGER NOT NULL, gw TEXT NOT NULL, ts INTEGER NOT NULL,
  command_id TEXT, body TEXT NOT NULL,
  PRIMARY KEY (store_id, seq));
-- Every (store_id, seq) taken once: a redelivered message is counted here and dropped.
CREATE TABLE IF NOT EXISTS seen (
  store_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (store_id, seq));
CREATE TABLE IF NOT EXISTS stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def make_client(client_id):
    # paho 2.x asks which callback signatures the program uses; 1.x has no such argument.
    if hasattr(mqtt, "CallbackAPIVersion"):
        return mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id=client_id,
                           clean_session=True)
    return mqtt.Client(client_id=client_id, clean_session=True)


def split_broker(text):
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1"), int(port or 1883)


class Sink:
    """SQLite writes from the paho thread; one transaction per message (a pack is one)."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()

    def bump(self, name):
        self.db.execute("INSERT INTO stats VALUES (?, 1) ON CONFLICT(name) "
                        "DO UPDATE SET value = value + 1", (name,))

    def take(self, messages):
        """Stores outbox messages (one, or the rows of a pack) in one transaction; returns the
        ones taken: not duplicates, and of ours."""
        taken = []
        with self.lock, self.db:
            for message in messages:
                if isinstance(message, dict) and self._take_one(message):
                    taken.append(message)
        return taken

    def _take_one(self, message):
        store_id, seq = message.get("store_id"), message.get("seq")
        if not isinstance(store_id, str) or not isinstance(seq, int):
            return False
        if self.db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)",
                           (store_id, seq)).rowcount == 0:
            self.bump("duplicates")
            return False
        kind, gw, ts = message.get("kind"), message.get("gw", ""), message.get("ts", 0)
        if kind == "telemetry":
            for point, value in (message.get("values") or {}).items():
                self.db.execute(
                    "INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (store_id, seq, gw, message.get("meter", ""), ts, message.get("group"),
                     point, json.dumps(value)))
        elif kind == "event":
            self.db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (store_id, seq, gw, message.get("meter"), ts,
                             message.get("event", ""), json.dumps(message.get("details"))))
        elif kind == "result":
            self.db.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)",
                            (store_id, seq, gw, ts, message.get("id"),
                             json.dumps(message, separators=(",", ":"))))
        self.bump(kind or "unknown")
        return True


def consume(args):
    sink = Sink(args.db)
    client = make_client(args.client_id or f"meterd-consumer-{uuid.uuid4().hex[:8]}")
    root = "meterd/v1/+"
    topics = [f"{root}/meters/+/telemetry", f"{root}/meters/+/events", f"{root}/events",
              f"{root}/cmd/result", f"{root}/batch"]

    def on_connect(c, _userdata, _flags, rc):
        if rc != 0:
            print(f"broker refused: {rc}", file=sys.stderr)
            return
        # QoS 1 like the gateway's publishes; the group shares the stream among consumers.
        c.subscribe([(f"$share/{args.group}/{t}", 1) for t in topics])

    def on_message(_c, _userdata, msg):
        try:
            payload = json.loads(msg.payload.decode("utf-8"))
            # A pack (on batch) is an array of the objects the per-row topics carry.
            messages = payload if isinstance(payload, list) else [payload]
            for message in sink.take(messages):
                if args.verbose:
                    print(f"{msg.topic} seq={message.get('seq')}", flush=True)
        except Exception as e:  # a bad payload must not stop the consumer
            print(f"skipped a message on {msg.topic}: {e}", file=sys.stderr)

    client.on_connect = on_connect
    client.on_message = on_message
    host, port = split_broker(args.broker)
    client.connect(host, port, keepalive=30)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    client.loop_start()
    deadline = time.monotonic() + args.duration if args.duration else None
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        stop.wait(0.2)
    client.loop_stop()
    client.disconnect()
    return 0


def sign(command, key):
    """docs/commands.md#signing: HMAC-SHA256 over the canonical form of the command."""
    unsigned = {k: v for k, v in command.items() if k != "sig"}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def read_key(path):
    """As the gateway reads commands.hmac_key_file: one trailing newline dropped, then hex
    digits are decoded and anything else is taken as raw bytes."""
    raw = open(path, "rb").read()
    if raw.endswith(b"\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n"):
        raw = raw[:-1]
    try:
        return bytes.fromhex(raw.decode("ascii")) if raw and b" " not in raw else raw
    except ValueError:
        return raw


def send(args):
    command = json.loads(args.command)
    command.setdefault("id", f"c-{uuid.uuid4().hex[:16]}")
    command.setdefault("issued_at", int(time.time() * 1000))
    if args.key_file:
        command["sig"] = sign(command, read_key(args.key_file))
    client = make_client(f"meterd-sender-{uuid.uuid4().hex[:8]}")
    host, port = split_broker(args.broker)
    client.connect(host, port, keepalive=30)
    client.loop_start()
    info = client.publish(f"meterd/v1/{args.gateway}/cmd", json.dumps(command), qos=1)
    info.wait_for_publish(timeout=10)
    client.loop_stop()
    client.disconnect()
    print(command["id"])
    return 0 if info.is_published() else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    c = sub.add_parser("consume", help="store readings, events and results in SQLite")
    c.add_argument("--broker", default="127.0.0.1:1883")
    c.add_argument("--db", default="meterd-cloud.db")
    c.add_argument("--group", default="ingest", help="shared subscription group")
    c.add_argument("--client-id")
    c.add_argument("--duration", type=float, default=0, help="seconds; 0 runs until SIGTERM")
    c.add_argument("--verbose", action="store_true")
    s = sub.add_parser("send", help="publish a (signed) command to a gateway")
    s.add_argument("--broker", default="127.0.0.1:1883")
    s.add_argument("--gateway", required=True)
    s.add_argument("--key-file", help="the gateway's commands.hmac_key_file; unsigned without")
    s.add_argument("command", help="the command as JSON; id and issued_at filled in if absent")
    args = parser.parse_args()
    return consume(args) if args.action == "consume" else send(args)


if __name__ == "__main__":
    sys.exit(main())
