#!/usr/bin/env python3
"""Never lose a submission: the kill -9 test of the applications API.

Starts `tongban serve` (demo mode, SQLite) on a fresh data directory, gets access tokens for
the demo people with `tongban demo token`, and has many concurrent clients submit applications
over HTTP (`POST /api/v1/applications`). Each client numbers its own Idempotency-Keys; after a
connection error or a 5xx it retries the SAME key with the SAME body until it gets 201 (or a
422, which counts as a violation here: every body sent is valid). Meanwhile the server is
killed with SIGKILL at random moments (0.5-3 s apart, at least --kills times) and restarted on
the same data directory at once.

At the end the server is restarted a last time and then stopped, and the script checks:
  * every acknowledged (201) key has exactly one case, with the acknowledged id and tracking
    number, and no key (acknowledged or not) made two cases;
  * no case exists for a key the clients never sent;
  * the answers the server returns for each acknowledged case (GET /api/v1/applications/{id})
    are the answers that were sent (all cases whose acknowledgement needed a retry, and a
    random sample of the rest);
  * every case has its intake task, its `cases.submit` audit entry and its `case-submitted`
    notification;
  * `tongban audit verify` accepts the audit chain.
Any violation prints a clear message and exits 1.

Python's standard library only, so that the checker shares no code with what it checks: it
reads the database with the sqlite3 module, not with the store crate.

Usage: scripts/reliability.py [--binary target/debug/tongban] [--seconds 60] [--clients 32]
       (or TONGBAN_BIN=... scripts/reliability.py)
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

SERVICE = "RS0005"
PEOPLE = ["13800000001", "13800000002", "13800000003", "13800000004"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳", "𠀀"]
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "阿依古丽"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(first17):
    """Completes 17 digits with the GB 11643 check character."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return first17 + "10X98765432"[total % 11]


def application(client, seq, today):
    """A valid ten-field application of RS0005, different for every (client, seq)."""
    n = client * 1_000_003 + seq
    born = time.gmtime(-315_619_200 + (n % 15_000) * 86_400)  # from 1960-01-01
    first17 = "990102%04d%02d%02d%03d" % (born.tm_year, born.tm_mon, born.tm_mday, n % 1000)
    start = time.gmtime(today + (n % 28) * 86_400)
    return {
        "service": SERVICE,
        "declaration": True,
        "answers": {
            "employer_insured": "no",
            "work_type": ["platform", "self-employed", "part-time", "freelance"][n % 4],
            "full_name": SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 12) % len(GIVEN)],
            "id_number": resident_id(first17),
            "phone": "139%08d" % (n % 100_000_000),
            "contact_address": {"division": "990102", "street": "人民路%d号%d室" % (n % 400 + 1, seq % 30 + 101)},
            "insurance_types": [["pension"], ["medical"], ["pension", "medical"]][n % 3],
            "contribution_level": ["60", "80", "100", "150", "200", "300"][n % 6],
            "start_month": "%04d-%02d-%02d" % (start.tm_year, start.tm_mon, start.tm_mday),
            "payment_method": "debit" if n % 2 == 0 else "self-pay",
        },
    }


class Violations:
    def __init__(self):
        self.items = []
        self.lock = threading.Lock()

    def add(self, message):
        with self.lock:
            if len(self.items) < 1000:
                self.items.append(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The `tongban serve` child, killed and restarted on the same data directory."""

    def __init__(self, binary, data_dir, port, log):
        self.binary, self.data_dir, self.port, self.log = binary, data_dir, port, log
        self.proc = None
        self.lock = threading.Lock()

    def start(self, limit=120):
        env = dict(os.environ, TONGBAN_LOG="warn")
        env.pop("TONGBAN__DATABASE__URL", None)
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--mode", "demo", "--metrics-addr", "off",
             "--addr", "127.0.0.1:%d" % self.port, "--data-dir", self.data_dir],
            stdout=self.log, stderr=self.log, env=env)
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("reliability: tongban serve exited with %s on start (see %s)"
                                 % (self.proc.returncode, self.log.name))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.02)
        raise SystemExit("reliability: the server did not answer within %d s" % limit)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise SystemExit("reliability: the server did not stop on SIGTERM within 30 s")


def demo_token(binary, data_dir, who):
    env = dict(os.environ, TONGBAN_LOG="warn")
    env.pop("TONGBAN__DATABASE__URL", None)
    out = subprocess.run([binary, "demo", "token", "--minutes", "240", "--user", who,
                          "--data-dir", data_dir], capture_output=True, text=True, env=env)
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit("reliability: tongban demo token --user %s failed: %s" % (who, out.stderr))
    return out.stdout.strip()


class Client(threading.Thread):
    """Submits applications one after another; retries each key until it is answered."""

    def __init__(self, number, port, token, today, stop, violations):
        super().__init__(daemon=True)
        self.number, self.port, self.token, self.today = number, port, token, today
        self.stop, self.violations = stop, violations
        self.acked = []      # (key, case id, tracking number, body, attempts)
        self.sent_keys = []  # every key sent at least once
        self.retries = 0
        self.replayed = 0    # retries answered with the case an earlier attempt had made
        self.conn = None

    def post(self, key, body):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.conn.request("POST", "/api/v1/applications", body=body, headers={
            "content-type": "application/json",
            "authorization": "Bearer " + self.token,
            "idempotency-key": key,
        })
        response = self.conn.getresponse()
        if response.getheader("idempotent-replayed") == "true":
            self.replayed += 1
        return response.status, response.read()

    def run(self):
        seq = 0
        while not self.stop.is_set():
            seq += 1
            key = "rel-%d-%d" % (self.number, seq)
            payload = application(self.number, seq, self.today)
            body = json.dumps(payload, ensure_ascii=False).encode()
            self.sent_keys.append(key)
            attempts = 0
            deadline = time.monotonic() + 120
            while True:
                attempts += 1
                try:
                    status, answer = self.post(key, body)
                except (OSError, http.client.HTTPException):
                    status, answer = None, b""
                    if self.conn is not None:
                        self.conn.close()
                    self.conn = None
                if status == 201:
                    receipt = json.loads(answer)
                    self.acked.append((key, receipt["id"], receipt["tracking_number"],
                                       payload, attempts))
                    break
                if status is not None and status < 500:
                    self.violations.add("key %s: a valid application answered %s: %s"
                                        % (key, status, answer[:300].decode(errors="replace")))
                    break
                self.retries += 1
                if time.monotonic() > deadline:
                    self.violations.add("key %s: no answer within 120 s of retries" % key)
                    return
                time.sleep(random.uniform(0.01, 0.05))


def killer(server, stop_load, seconds, min_kills, stats):
    """Kills the server at random moments and restarts it until the load time is over."""
    started = time.monotonic()
    while time.monotonic() - started < seconds or stats["kills"] < min_kills:
        time.sleep(random.uniform(0.5, 3.0))
        with server.lock:
            server.kill()
            stats["kills"] += 1
            t = time.monotonic()
            server.start()
            stats["restart_seconds"].append(time.monotonic() - t)
    stop_load.set()


def get_json(port, token, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"authorization": "Bearer " + token})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def as_uuid(value):
    if isinstance(value, (bytes, bytearray)):
        return str(uuid.UUID(bytes=bytes(value)))
    return str(uuid.UUID(str(value)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.environ.get("TONGBAN_BIN", "target/debug/tongban"))
    parser.add_argument("--seconds", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--kills", type=int, default=10, help="at least this many SIGKILLs")
    parser.add_argument("--sample", type=int, default=2000,
                        help="acknowledged cases read back besides every retried one")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise SystemExit("reliability: no tongban binary at %s (build it, or pass --binary)" % binary)

    data_dir = tempfile.mkdtemp(prefix="tongban-reliability-")
    log = open(os.path.join(data_dir, "server.log"), "w")
    port = free_port()
    server = Server(binary, data_dir, port, log)
    print("reliability: %s on %s, %d clients, %.0f s of load, at least %d SIGKILLs"
          % (binary, data_dir, args.clients, args.seconds, args.kills), flush=True)
    server.start()
    tokens = [demo_token(binary, data_dir, who) for who in PEOPLE]
    today = int(time.time()) // 86_400 * 86_400

    violations = Violations()
    stop_load = threading.Event()
    stats = {"kills": 0, "restart_seconds": []}
    clients = [Client(i, port, tokens[i % len(tokens)], today, stop_load, violations)
               for i in range(args.clients)]
    load_started = time.monotonic()
    for c in clients:
        c.start()
    kill_thread = threading.Thread(target=killer, args=(server, stop_load, args.seconds,
                                                        args.kills, stats), daemon=True)
    kill_thread.start()
    kill_thread.join()
    # Each client finishes the key it holds (retrying until answered), then stops.
    for c in clients:
        c.join(timeout=180)
        if c.is_alive():
            violations.add("client %d did not finish its last submission" % c.number)
    load_seconds = time.monotonic() - load_started

    acked = [(c, a) for c in clients for a in c.acked]
    sent = {k for c in clients for k in c.sent_keys}
    retried = sum(c.retries for c in clients)
    replayed = sum(c.replayed for c in clients)

    # Read back the answers while the server (restarted after the last kill) is up.
    with_retries = [(c, a) for c, a in acked if a[4] > 1]
    others = [(c, a) for c, a in acked if a[4] == 1]
    sample = with_retries + random.sample(others, min(args.sample, len(others)))
    mismatched = 0
    for c, (key, case_id, tracking, payload, _) in sample:
        status, body = get_json(port, c.token, "/api/v1/applications/" + case_id)
        if status != 200:
            violations.add("key %s: GET of case %s answered %s" % (key, case_id, status))
            continue
        case = json.loads(body)
        if case.get("tracking_number") != tracking or case.get("answers") != payload["answers"]:
            mismatched += 1
            violations.add("key %s: case %s does not hold what was sent (%s vs %s)"
                           % (key, case_id, json.dumps(case.get("answers"), ensure_ascii=False)[:200],
                              json.dumps(payload["answers"], ensure_ascii=False)[:200]))
    server.stop()

    db = sqlite3.connect(os.path.join(data_dir, "tongban.db"))
    by_key = {}
    for case_id, key, tracking in db.execute(
            "SELECT id, submission_key, tracking_number FROM cases"):
        # api:<account>:<Idempotency-Key>
        client_key = key.split(":", 2)[2] if key.startswith("api:") else key
        by_key.setdefault(client_key, []).append((as_uuid(case_id), tracking))
    for key, cases in by_key.items():
        if len(cases) > 1:
            violations.add("key %s made %d cases: %s" % (key, len(cases), cases))
        if key not in sent:
            violations.add("a case exists for key %s, which no client sent" % key)
    for c, (key, case_id, tracking, _, _) in acked:
        cases = by_key.get(key, [])
        if len(cases) != 1:
            violations.add("acknowledged key %s (%s) has %d cases" % (key, tracking, len(cases)))
        elif cases[0] != (case_id, tracking):
            violations.add("acknowledged key %s was told %s %s but the database holds %s"
                           % (key, case_id, tracking, cases[0]))
    case_ids = {cid for cases in by_key.values() for cid, _ in cases}
    tasks = {as_uuid(r[0]) for r in db.execute("SELECT case_id FROM case_tasks")}
    audited = {r[0][len("case:"):] for r in db.execute(
        "SELECT target FROM audit_log WHERE action = 'cases.submit' AND outcome = 'success'")}
    notified = set()
    for (params,) in db.execute(
            "SELECT params FROM notifications WHERE template = 'case-submitted'"):
        if isinstance(params, bytes):
            params = params.decode()
        notified.add(json.loads(params).get("case_id"))
    for what, have in (("intake task", tasks), ("cases.submit audit entry", audited),
                       ("case-submitted notification", notified)):
        missing = case_ids - have
        if missing:
            violations.add("%d cases have no %s, e.g. %s" % (len(missing), what, sorted(missing)[:3]))
    db.close()

    env = dict(os.environ, TONGBAN_LOG="warn")
    env.pop("TONGBAN__DATABASE__URL", None)
    verify = subprocess.run([binary, "audit", "verify", "--data-dir", data_dir],
                            capture_output=True, text=True, env=env)
    if verify.returncode != 0:
        violations.add("tongban audit verify failed: %s %s" % (verify.stdout, verify.stderr))

    restarts = stats["restart_seconds"]
    print("reliability: %d submissions acknowledged in %.1f s (%.0f/s across kills), %d cases in "
          "the database, %d keys sent, %d retries, %d SIGKILLs (restart to first page: median "
          "%.2f s, max %.2f s), %d acknowledgements needed a retry (%d of them found the case the "
          "killed server had committed), %d cases read back, "
          "%d mismatched; %s"
          % (len(acked), load_seconds, len(acked) / load_seconds, len(case_ids), len(sent),
             retried, stats["kills"], sorted(restarts)[len(restarts) // 2] if restarts else 0,
             max(restarts, default=0), len(with_retries), replayed, len(sample), mismatched,
             verify.stdout.strip() or "audit chain checked"), flush=True)
    if stats["kills"] < args.kills:
        violations.add("only %d SIGKILLs" % stats["kills"])
    if not acked:
        violations.add("no submission was acknowledged")
    if violations.items:
        print("reliability: FAILED, data kept in %s:" % data_dir, file=sys.stderr)
        for v in violations.items:
            print("  - " + v, file=sys.stderr)
        sys.exit(1)
    if args.keep:
        print("reliability: data kept in %s" % data_dir)
    else:
        log.close()
        subprocess.run(["rm", "-rf", data_dir], check=False)
    print("reliability: ok")


if __name__ == "__main__":
    main()
