#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The demo's view of the MQTT traffic (`mosquitto_sub -v` lines on stdin): events and command
results shown in full as they come, telemetry summarized every SUMMARY seconds; on the first
cut_off it recharges the account with meterctl, as a cashier would, and shows the account.

Usage: mosquitto_sub -v -t 'meterd/#' | demo_view.py METERCTL SOCKET [SUMMARY_SECONDS]
With DEMO_UNTIL_RESTORED set it ends once the account is restored and shown (for tests).
"""
import os
import json
import subprocess
import sys
import threading
import time

BOLD, RED, GREEN, RESET = ("\033[1m", "\033[31m", "\033[32m", "\033[0m") if sys.stdout.isatty() \
    else ("", "", "", "")
START = time.monotonic()
lock = threading.Lock()
shown = threading.Event()


def say(text):
    with lock:
        print(f"[{time.monotonic() - START:5.0f}s] {text}", flush=True)


def meterctl(meterctl_path, socket, *args):
    command = [meterctl_path, "--socket", socket, *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        out = (done.stdout + done.stderr).strip()
    except Exception as e:  # the demo goes on whatever meterctl does
        out = f"meterctl failed: {e}"
    say(f"{BOLD}$ meterctl {' '.join(args)}{RESET}\n        " + out.replace("\n", "\n        "))


def recharge_and_show(meterctl_path, socket, account, meter):
    time.sleep(5)  # long enough to see the relay open
    say(f"{BOLD}== the tenant pays: a cashier recharges {account} with meterctl{RESET}")
    meterctl(meterctl_path, socket, "recharge", account, "20.0000")
    say(f"{BOLD}== the account's meter now (balance, relay){RESET}")
    meterctl(meterctl_path, socket, "query", meter, "balance", "relay_closed")
    shown.set()


def main():
    meterctl_path, socket = sys.argv[1], sys.argv[2]
    every = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
    telemetry, meters, last_summary, example = 0, set(), time.monotonic(), None
    recharged, restored = False, False
    until_restored = bool(os.environ.get("DEMO_UNTIL_RESTORED"))
    for line in sys.stdin:
        if until_restored and restored and shown.is_set():
            say("== the story is told: cut off, recharged, restored")
            break
        topic, _, payload = line.rstrip("\n").partition(" ")
        try:
            body = json.loads(payload)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            continue
        if topic.endswith("/telemetry"):
            telemetry += 1
            meters.add(body.get("meter"))
            if "voltage_a" in body.get("values", {}):
                example = (topic, payload)
        elif topic.endswith("/events"):
            event = body.get("event", "?")
            colour = RED if event in ("cut_off", "malignant_load_trip", "overload_trip",
                                      "meter_offline") else GREEN if event in (
                                          "restored", "auto_restore") else ""
            where = body.get("meter") or "gateway"
            say(f"{BOLD}{colour}EVENT {event}{RESET} {where} "
                f"{json.dumps(body.get('details', {}), separators=(',', ':'))}")
            restored = restored or (recharged and event == "restored")
            if event == "cut_off" and not recharged:
                recharged = True
                account = body.get("details", {}).get("account", "room-b01")
                threading.Thread(target=recharge_and_show,
                                 args=(meterctl_path, socket, account, body.get("meter", "b-01")),
                                 daemon=True).start()
        elif topic.endswith("/cmd/result"):
            say(f"{BOLD}RESULT{RESET} {body.get('id')} {body.get('state', '')} "
                f"{json.dumps(body.get('results', body.get('code', '')), separators=(',', ':'))}")
        elif topic.endswith("/status"):
            say(f"status: {payload}")
        elif topic.endswith("/health"):
            say(f"health: backlog {body.get('backlog_rows')} rows, connected "
                f"{body.get('connected')}, published {body.get('published')}")
        now = time.monotonic()
        if now - last_summary >= every:
            say(f"telemetry: {telemetry} messages from {len(meters)} meters in the last "
                f"{now - last_summary:.0f}s")
            if example:
                say(f"  e.g. {example[0]} {example[1]}")
            telemetry, meters, last_summary, example = 0, set(), now, None
    return 0


if __name__ == "__main__":
    sys.exit(main())
