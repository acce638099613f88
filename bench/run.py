"""The benchmark suite of issue 9: one entry point, its own data, its own servers, every figure a ratio
against a floor measured in the same run (these machines are noisy).

    .venv/bin/python bench/run.py                  # 1,000,000 clients (make bench)
    .venv/bin/python bench/run.py --quick          # ~2,000 clients, short runs, < 2 minutes
    .venv/bin/python bench/run.py --smoke          # tiny, for tests/bench/test_smoke.py
    .venv/bin/python bench/run.py --only 1,7       # some benchmarks only

It creates and migrates its own PostgreSQL database (kaihu_bench, kaihu_bench_quick, kaihu_bench_smoke;
`--template DB` clones an existing database first), tops the demo clients up to --clients, starts
gunicorn (2 workers x 8 threads, as docker-compose.yml) and a Celery worker (2 processes) on Redis db 3
with BENCH_FLOOR_VIEWS=1, runs the benchmarks, prints each figure with its goal and verdict, writes
bench/results/<stamp>.json and stops everything it started. Load: wrk (Debian package) for the read API, a threaded Python client for the
opening flow — both on loopback, on the same 2 cores as the server (documented in docs/performance.md).
"""

import argparse
import datetime
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# wrk connections for benchmark 1: with threaded workers each keep-alive connection stays with the process that
# accepted it, so a handful of connections can land 7 : 1 on the two processes and halve a run at random.
HTTP_CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "32"))
MODES = {  # scale and durations per mode
    "full": {"clients": 1_000_000, "http_s": 20, "flow_s": 120, "tasks": 3000, "orm": 10_000, "pdf": (7, 200),
             "search_reps": 200, "history_n": 200, "flow_threads": 8, "callbacks": 200, "http_rounds": 3},
    "quick": {"clients": 2_000, "http_s": 5, "flow_s": 20, "tasks": 1000, "orm": 1_000, "pdf": (3, 40),
              "search_reps": 100, "history_n": 100, "flow_threads": 8, "callbacks": 40, "http_rounds": 3},
    "smoke": {"clients": 200, "http_s": 1, "flow_s": 3, "tasks": 50, "orm": 100, "pdf": (1, 3),
              "search_reps": 10, "history_n": 10, "flow_threads": 2, "callbacks": 2, "http_rounds": 1},
}  # fmt: skip
ALL = [1, 7, 3, 8, 4, 5, 2, 6]
STARTED: list[subprocess.Popen] = []
ROWS: list[dict] = []


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def figure(bench: str, name: str, value, goal: str = "", ok: bool | None = None, unit: str = "") -> None:
    """One printed figure; `ok` None means reported without a goal."""
    verdict = "" if ok is None else ("pass" if ok else "SHORT")
    shown = (
        str(value).lower()
        if isinstance(value, bool)
        else f"{value:,.3f}"
        if isinstance(value, float)
        else f"{value:,}"
        if isinstance(value, int)
        else str(value)
    )
    ROWS.append({"bench": bench, "figure": name, "value": value, "unit": unit, "goal": goal, "verdict": verdict})
    print(f"  {bench:<4} {name:<52} {shown + (' ' + unit if unit else ''):>18}  {goal:<24} {verdict}", flush=True)


# --- environment, database, processes ------------------------------------------------------------------


def configure_env(db: str, redis_url: str) -> dict:
    media = ROOT / "var" / "bench-media"
    media.mkdir(parents=True, exist_ok=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"{PG}/{db}",
        "CELERY_BROKER_URL": redis_url,
        "BENCH_FLOOR_VIEWS": "1",
        "MEDIA_ROOT": str(media),
        "LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "AXES_ENABLED": "0",
    }
    os.environ.update(env)
    return {**os.environ, **env}


def database_ensure(db: str, template: str = "") -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db])
        if cur.fetchone() is None:
            if template:
                log(f"cloning database {template} into {db} …")
                cur.execute(f'CREATE DATABASE "{db}" TEMPLATE "{template}"')
            else:
                log(f"creating database {db} …")
                cur.execute(f'CREATE DATABASE "{db}"')
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], env: dict, name: str) -> subprocess.Popen:
    logfile = (ROOT / "var" / f"bench-{name}.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
    STARTED.append(proc)
    return proc


def stop_all() -> None:
    for proc in reversed(STARTED):
        if proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in STARTED:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    STARTED.clear()


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process (seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        with suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def backend_pids(db: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [db])
        return [r[0] for r in cur.fetchall()]


def wait_http(port: int, path: str = "/healthz", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError):
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {port}; see var/bench-web.log")


def servers_start(env: dict, port: int, threads: int = 1, worker_nice: int = 0) -> dict:
    py = sys.executable
    web = start([py, "-m", "gunicorn", "config.wsgi", "-w", "2", "--threads", str(threads), "-b", f"127.0.0.1:{port}",
                 "--error-logfile", "-", "--log-level", "warning"], env, "web")  # fmt: skip
    name = f"bench-{uuid.uuid4().hex[:6]}@localhost"
    nice = ["nice", "-n", str(worker_nice)] if worker_nice else []
    worker = start([*nice, py, "-m", "celery", "-A", "config", "worker", "-n", name, "--concurrency", "2", "--pool",
                    "prefork", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"], env, "worker")  # fmt: skip
    wait_http(port)
    from config.celery import app

    app.control.purge()
    deadline = time.monotonic() + 60
    while name not in (app.control.inspect(destination=[name], timeout=1.0).ping() or {}):
        if time.monotonic() > deadline or worker.poll() is not None:
            raise RuntimeError("Celery worker did not start; see var/bench-worker.log")
    return {"web": web, "worker": worker}


# --- data ----------------------------------------------------------------------------------------------


def data_prepare(clients: int) -> dict:
    """Migrate, top the demo clients up to `clients`, and make what the benchmarks need (idempotent)."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from simple_history.utils import bulk_create_with_history

    from accounts.models import Branch, Client, FundAccount
    from accounts.roles import Role
    from accounts.services import staff_create
    from suitability.models import Assessment, Product, Questionnaire
    from suitability.services import product_create
    from tiering.demo import demo_data_generate

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    have = Client.objects.count()
    if have < clients * 0.99:
        log(f"generating {clients - have:,} demo clients (~2,000/s) …")
        demo_data_generate(clients=clients - have, log=lambda m: None)
    branch = Branch.objects.order_by("pk").first()
    users = {}
    for role in (Role.CLERK, Role.REVIEWER, Role.CALLBACK_AGENT):
        username = f"bench-{role}"
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = staff_create(actor=None, username=username, password=uuid.uuid4().hex, roles=[role], branch=branch,
                                full_name=f"压测{role}", employee_no=f"B{role[:5]}").user  # fmt: skip
        users[role] = {"id": user.pk, "token": Token.objects.get_or_create(user=user)[0].key}
    if not Product.objects.filter(code="BENCH-FUND").exists():
        from django.contrib.auth import get_user_model

        admin = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.create_superuser(
            "bench-admin", password=uuid.uuid4().hex
        )
        product_create(actor=admin, code="BENCH-FUND", name="压测混合基金", risk="R3", horizon="medium", variety="fund")
    # Match clients: the first 2,000 demo clients, each with an assessment (the template may have none).
    sample = list(Client.objects.filter(client_no__startswith="D").order_by("pk").values_list("pk", flat=True)[:2000])
    questionnaire = Questionnaire.objects.filter(audience="individual", status="published").first()
    missing = set(sample) - set(Assessment.objects.filter(client_id__in=sample).values_list("client_id", flat=True))
    if missing:
        now, today = timezone.now(), timezone.localdate()
        rows = [Assessment(client_id=pk, questionnaire=questionnaire, questionnaire_code=questionnaire.code,
                           questionnaire_version=questionnaire.version, answers={}, total_score=50, score_level="C3",
                           risk_level="C3", horizon="medium", inputs={"bench": True}, assessed_at=now,
                           valid_until=today.replace(year=today.year + 2)) for pk in sorted(missing)]  # fmt: skip
        with transaction.atomic():
            bulk_create_with_history(rows, Assessment, batch_size=1000, default_change_reason="bench")
    # Fund accounts for the account-number search: one per demo client, set-based (bench data only).
    if FundAccount.objects.count() < Client.objects.count() * 0.5:
        log("creating fund accounts for the demo clients (one statement) …")
        with connection.cursor() as cur:
            # NOT IN (hashed once): a NOT EXISTS planned on the empty table becomes a nested loop, O(n²)
            cur.execute("""
                INSERT INTO accounts_fundaccount (client_id, account_no, holder_name, holder_id_type,
                       holder_id_index, status, opened_at)
                SELECT c.id, 'B' || lpad(c.id::text, 11, '0'), c.name, c.id_type, c.id_number_index, 'active', now()
                FROM accounts_client c WHERE c.id NOT IN (SELECT client_id FROM accounts_fundaccount)
            """)  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    log(f"data ready: {Client.objects.count():,} clients ({time.perf_counter() - t:.0f} s)")
    return {"users": users, "match_clients": sample, "clients": Client.objects.count()}


# --- benchmark 1: suitability match API vs bare views --------------------------------------------------


def wrk(url: str, seconds: int, lua: str, connections: int = 8) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name, url],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    ).stdout  # fmt: skip
    os.unlink(f.name)

    def ms(token: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", token).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    p50 = ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else ""}  # fmt: skip


def lua_script(method: str, paths: list[str], body: str = "", headers: dict | None = None) -> str:
    ids = ",".join(f'"{p}"' for p in paths)
    head = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in (headers or {}).items())
    bodies = "" if not body else f"local body = [[{body}]]\n"
    return (
        f"{head}{bodies}local paths = {{{ids}}}\nlocal n = #paths\nlocal i = 0\n"
        "request = function()\n  i = i % n + 1\n"
        + (
            f'  return wrk.format("{method}", "/api/v1/suitability/match/", nil, '
            'string.gsub(body, "CLIENT", paths[i]))\n'
            if body
            else f'  return wrk.format("{method}", paths[i])\n'
        )
        + "end\n"
    )


def bench_match(port: int, data: dict, seconds: int, procs: dict | None = None, rounds: int = 3) -> dict:
    ids = [str(i) for i in data["match_clients"][:1000]]
    base = f"http://127.0.0.1:{port}"
    token = data["users"]["clerk"]["token"]
    floor_lua = lua_script("GET", [f"/bench/floor/django/{i}/" for i in ids])
    drf_lua = lua_script("GET", [f"/bench/floor/drf/{i}/" for i in ids])
    match_lua = lua_script(
        "POST", ids, body='{"client_id": CLIENT, "product_code": "BENCH-FUND"}',
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )  # fmt: skip
    dry_lua = match_lua.replace('"BENCH-FUND"}', '"BENCH-FUND", "record": false}')
    # Warm every thread of both processes on every endpoint first (its database session, its compiled and
    # PREPAREd statements): more connections than threads, so that none is measured cold.
    for lua in (floor_lua, drf_lua, match_lua, dry_lua):
        wrk(base + "/", 3, lua, connections=32)

    def measured(lua: str) -> dict:
        """wrk's figures, and the CPU per request of the web workers and of PostgreSQL during the run."""
        from django.db import connection

        web = children(procs["web"].pid) if procs else []
        db = connection.settings_dict["NAME"]
        before = {"web": cpu_seconds(web), "pg": cpu_seconds(backend_pids(db))}
        out = wrk(base + "/", seconds, lua, connections=HTTP_CONNECTIONS)
        after = {"web": cpu_seconds(web), "pg": cpu_seconds(backend_pids(db))}
        done = max(out["rps"] * seconds, 1)
        for k in after:
            out[f"cpu_{k}_ms"] = sum(v - before[k].get(pid, 0.0) for pid, v in after[k].items()) / done * 1000
        return out

    # Paired runs, the order alternating (floor then API, API then floor, ...): each pair gives a ratio, and
    # the median of the pairs is the figure, so that a burst of other work on the box (autovacuum after the
    # data step, a neighbour) moves one pair, not the verdict.
    pairs = []
    for i in range(rounds):
        first, second = (floor_lua, match_lua) if i % 2 == 0 else (match_lua, floor_lua)
        a, b = measured(first), measured(second)
        pairs.append((a, b) if i % 2 == 0 else (b, a))
    r = {"pairs": [{"floor": f, "match": m} for f, m in pairs], "floor_drf": measured(drf_lua),
         "match_dry": measured(dry_lua)}  # fmt: skip
    ratios = sorted((m["rps"] / f["rps"], m["p99_ms"] / f["p99_ms"], f, m) for f, m in pairs)
    tput, _, floor, match = ratios[len(ratios) // 2]  # the pair with the median throughput ratio
    p99_ratio = statistics.median(x[1] for x in ratios)
    r.update({"floor_django": floor, "match": match, "throughput_ratio": tput, "p99_ratio": p99_ratio})
    figure("1", f"pairs (bare Django · match req/s), {rounds} runs of {seconds} s each",
           "  ".join(f"{f['rps']:,.0f}·{m['rps']:,.0f}" for f, m in pairs))  # fmt: skip
    figure("1", "bare Django view (one indexed row, JSON), median pair", floor["rps"], unit="req/s")
    figure("1", "bare Django view p99", floor["p99_ms"], unit="ms")
    figure("1", "bare DRF view", r["floor_drf"]["rps"], unit="req/s")
    figure("1", "bare DRF view p99", r["floor_drf"]["p99_ms"], unit="ms")
    figure("1", "match API throughput, median pair", match["rps"], unit="req/s")
    figure("1", "match API p50 / p99", f"{match['p50_ms']:.1f} / {match['p99_ms']:.1f}", unit="ms")
    figure("1", "match throughput / bare Django (median of pairs)", tput, "≥ 0.5", tput >= 0.5)
    figure("1", "match p99 / bare Django p99 (median of pairs)", p99_ratio, "≤ 2", p99_ratio <= 2)
    figure("1", "dry check (record: false) throughput / bare Django", r["match_dry"]["rps"] / floor["rps"])
    if procs:
        figure("1", "CPU ms per request, web / PostgreSQL: bare Django · match",
               f"{floor['cpu_web_ms']:.2f}/{floor['cpu_pg_ms']:.2f} · {match['cpu_web_ms']:.2f}/{match['cpu_pg_ms']:.2f}",
               unit="ms")  # fmt: skip
    errors = sum(f["non_2xx"] + m["non_2xx"] for f, m in pairs)
    figure("1", "non-2xx responses (match + floor)", errors, "0", errors == 0)
    return r


# --- benchmark 7: Celery ---------------------------------------------------------------------------------


def broker_backlog(redis_url: str) -> int:
    import redis

    r = redis.Redis.from_url(redis_url)
    return r.llen("celery") + r.hlen("unacked")


def bench_celery(redis_url: str, n: int) -> dict:
    import redis

    from bench.floor_tasks import bench_noop

    counter = f"bench:noop:{uuid.uuid4().hex[:8]}"
    r = redis.Redis.from_url(redis_url)
    for _ in range(10):  # connect and warm the producer pool
        bench_noop.delay(counter + ":warm")
    sends = []
    t0 = time.perf_counter()
    for _ in range(n):
        s = time.perf_counter()
        bench_noop.delay(counter)
        sends.append((time.perf_counter() - s) * 1000)
    deadline = time.monotonic() + 120
    while int(r.get(counter) or 0) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    elapsed = time.perf_counter() - t0
    done = int(r.get(counter) or 0)
    r.delete(counter, counter + ":warm")
    sends.sort()
    result = {"tasks": n, "done": done, "elapsed_s": elapsed, "tasks_per_s": done / elapsed,
              "send_p50_ms": statistics.median(sends), "send_p99_ms": sends[int(len(sends) * 0.99) - 1]}  # fmt: skip
    figure(
        "7",
        f"no-op tasks/s through Redis ({n:,}, 2 processes)",
        result["tasks_per_s"],
        "≥ 150",
        result["tasks_per_s"] >= 150,
    )
    figure("7", "time to send one task, p50", result["send_p50_ms"], "≤ 2 ms", result["send_p50_ms"] <= 2, "ms")
    figure("7", "time to send one task, p99", result["send_p99_ms"], unit="ms")
    return result


# --- benchmark 3: the opening flow ------------------------------------------------------------------------


class Api:
    """A keep-alive JSON client for one thread."""

    def __init__(self, port: int) -> None:
        self.conn = HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, token: str, body: dict | None = None) -> dict:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.conn.request(method, path, body=payload, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path} → {response.status}: {data[:300]!r}")
        return json.loads(data) if data else {}

    def upload(self, path: str, token: str, fields: dict, filename: str, content: bytes) -> dict:
        """POST one file as multipart/form-data (the client-file upload endpoint)."""
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]  # fmt: skip
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")  # fmt: skip
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Authorization": f"Token {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"POST {path} → {response.status}: {data[:300]!r}")
        return json.loads(data) if data else {}


def fresh_identities(n: int, region: str = "440304") -> list[str]:
    """Resident ID numbers nobody in the database has, `n` of them unless the region runs short (a region the
    demo generator does not use; the callback benchmark takes another so the two never collide)."""
    from django.utils import timezone
    from stdnum.cn import ric

    from accounts.crypto import blind_index
    from accounts.models import Client

    rng = random.Random()  # noqa: S311  (test data)
    out: dict[str, str] = {}
    today = timezone.localdate()
    while len(out) < n:
        birth = today.replace(year=today.year - rng.randint(25, 60)) - datetime.timedelta(days=rng.randrange(365))
        body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")
        out[blind_index(number)] = number
    taken = set(Client.objects.filter(id_number_index__in=list(out)).values_list("id_number_index", flat=True))
    return [v for k, v in out.items() if k not in taken]


class Flow:
    """The whole opening journey through the API, the scans and signed papers uploaded to the client file
    (POST clients/{id}/documents/) as the counter's scanner does."""

    PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

    def __init__(self, call, users: dict, static: dict, upload) -> None:
        self.call, self.users, self.static, self.upload = call, users, static, upload

    def run(self, id_number: str) -> int:
        from django.utils import timezone

        from archive.checklist import required_kinds

        clerk, reviewer = self.users["clerk"]["token"], self.users["reviewer"]["token"]
        today = timezone.localdate()
        body = {"channel": "counter", "bank_code": "ICBC", "bank_account": "6222020000000000001",
                "client": {"kind": "individual", "name": "压测客户", "id_type": "resident_id", "id_number": id_number,
                           "id_valid_until": today.replace(year=today.year + 5).isoformat(), "phone": "13912345678",
                           "address": "深圳市福田区深南大道1号"}}  # fmt: skip
        app = self.call("POST", "/api/v1/applications/", clerk, body)
        app_id, client_id = app["id"], app["client"]["id"]
        base = f"/api/v1/applications/{app_id}/"
        self.call("POST", base + "identity-check/", clerk, {})
        self.call("POST", base + "disclose/", clerk, self.static["disclose"])
        self.call("POST", f"/api/v1/clients/{client_id}/assessments/", clerk, self.static["assessment"])
        self.call("POST", base + "assess/", clerk, {})
        for kind in required_kinds(client_kind="individual", channel="counter", has_agent=False):
            content, name = (
                (self.PNG, f"{kind}.png") if kind in ("id_front", "id_back", "photo") else (self.PDF, f"{kind}.pdf")
            )
            self.upload(f"/api/v1/clients/{client_id}/documents/", clerk, {"kind": kind}, name, content)
        self.call("POST", base + "submit/", clerk, {})
        self.call("POST", base + "review/", reviewer, {"approve": True, "note": "压测"})
        opened = self.call("POST", base + "open-accounts/", clerk, {})
        if opened["status"] != "accounts_opened":
            raise RuntimeError(f"application {app_id} ended {opened['status']}")
        return app_id


def flow_static(users: dict) -> dict:

    from onboarding.models import DisclosureDocument
    from suitability.selectors import questionnaire_current
    from tests.suitability.conftest import answers_for

    questionnaire = questionnaire_current(audience="individual")
    return {
        "disclose": {
            "risk_disclosure_id": DisclosureDocument.objects.get(kind="risk_disclosure", active=True).pk,
            "agreement_id": DisclosureDocument.objects.get(kind="agreement", active=True).pk,
        },
        "assessment": {"questionnaire_id": questionnaire.pk, "answers": answers_for(questionnaire, total=60)},
    }


def bench_flow(port: int, data: dict, seconds: int, threads: int, redis_url: str, procs: dict) -> dict:
    from django.db import connection
    from django.utils.timezone import now as django_now

    from archive.models import ChainPending
    from archive.services import chain_sequence, chain_verify
    from archive.tasks import chain_sequence_task
    from callbacks.models import CallbackTask
    from callbacks.tasks import callback_tasks_sweep_task

    static = flow_static(data["users"])
    ids = fresh_identities(int(seconds * 40) + 200)
    lock = threading.Lock()
    done: list[tuple[float, int]] = []
    errors: list[str] = []
    start_at = time.perf_counter()
    deadline = start_at + seconds

    def worker() -> None:
        api = Api(port)
        flow = Flow(api.call, data["users"], static, api.upload)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if not ids:
                        return
                    number = ids.pop()
                try:
                    app_id = flow.run(number)
                    with lock:
                        done.append((time.perf_counter(), app_id))
                except Exception as exc:  # noqa: BLE001  (count every failure, keep the load going)
                    with lock:
                        errors.append(str(exc)[:300])
                    api = Api(port)
                    flow.call, flow.upload = api.call, api.upload
        finally:
            connection.close()

    def groups() -> dict[str, list[int]]:
        return {"web": children(procs["web"].pid), "worker": children(procs["worker"].pid),
                "load": [os.getpid()], "postgres": backend_pids(connection.settings_dict["NAME"])}  # fmt: skip

    chain_sequence()  # rows of the data step: the lag below is that of rows written under load
    cpu_before = {k: cpu_seconds(v) for k, v in groups().items()}
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    backlog_peak = 0
    chain_lag = 0.0  # age of the oldest row waiting for its tamper-evidence link (docs/decisions/0007)
    chain_sent = 0.0
    while any(t.is_alive() for t in pool):
        time.sleep(1)
        backlog_peak = max(backlog_peak, broker_backlog(redis_url))
        if int(time.perf_counter() - start_at) % 15 == 0:
            callback_tasks_sweep_task.delay()  # what beat does every minute, more often so the bench sees it
        if time.perf_counter() - chain_sent >= 5:  # what beat does (CELERY_BEAT_SCHEDULE, every 5 s)
            chain_sequence_task.apply_async(expires=60)
            chain_sent = time.perf_counter()
        oldest = ChainPending.objects.order_by("pk").values_list("recorded_at", flat=True).first()
        if oldest is not None:
            chain_lag = max(chain_lag, (django_now() - oldest).total_seconds())
    for t in pool:
        t.join()
    load_s = time.perf_counter() - start_at
    backlog_end = broker_backlog(redis_url)
    t = time.perf_counter()
    while broker_backlog(redis_url) and time.perf_counter() - t < 600:
        time.sleep(0.2)
    drain_s = time.perf_counter() - t
    cpu = {}
    for k, pids in groups().items():  # CPU spent during the load and the drain, per flow
        now = cpu_seconds(pids)
        cpu[k] = sum(v - cpu_before[k].get(pid, 0.0) for pid, v in now.items())
    callback_tasks_sweep_task.delay()
    app_ids = [a for _, a in done]
    created = 0
    t2 = time.monotonic()
    while time.monotonic() - t2 < 60:
        created = CallbackTask.objects.filter(application_id__in=app_ids).count()
        if created >= len(app_ids):
            break
        time.sleep(0.5)
    t3 = time.monotonic()
    while ChainPending.objects.exists() and time.monotonic() - t3 < 60:  # as beat would, every 5 s
        chain_sequence_task.apply_async(expires=60)
        time.sleep(5)
    chain = chain_verify()
    rate = len(done) / load_s
    per_flow = {k: v / max(len(done), 1) for k, v in cpu.items()}
    total = sum(per_flow.values())
    figure("3", "CPU s per flow: web / worker (PDFs) / load client / PostgreSQL",
           " / ".join(f"{per_flow[k]:.3f}" for k in ("web", "worker", "load", "postgres")), unit="s")  # fmt: skip
    figure("3", f"→ ceiling on {os.cpu_count()} cores, PDFs rendered as they come (cores / CPU s per flow)",
           os.cpu_count() / total, unit="flows/s")  # fmt: skip
    interactive = per_flow["web"] + per_flow["load"] + per_flow["postgres"]
    figure("3", f"→ ceiling on {os.cpu_count()} cores, PDFs left to the backlog (cores / CPU s without the worker)",
           os.cpu_count() / interactive, unit="flows/s")  # fmt: skip
    figure("3", f"complete opening flows/s over {seconds} s ({threads} clients)", rate, "≥ 10", rate >= 10, "/s")
    figure("3", "errors", len(errors), "0", not errors)
    figure("3", "PDF/task backlog at the end (peak)", f"{backlog_end} ({backlog_peak})", unit="tasks")
    figure("3", "backlog drain time after the load", drain_s, unit="s")
    figure("3", "callback tasks created by the sweeper", f"{created}/{len(app_ids)}", "all", created >= len(app_ids))
    figure("3", "chain lag: oldest pending row during the load", chain_lag, unit="s")
    figure("3", "chain after the load: no break, nothing pending", f"{chain.links_checked} links",
           "valid", chain.first_break is None and not chain.pending)  # fmt: skip
    if errors:
        log(f"first flow errors: {errors[:3]}")
    return {"flows": len(done), "seconds": load_s, "flows_per_s": rate, "errors": len(errors),
            "error_samples": errors[:5], "backlog_end": backlog_end, "backlog_peak": backlog_peak,
            "drain_s": drain_s, "callback_tasks": created, "cpu_s_per_flow": per_flow, "chain_lag_s": chain_lag,
            "chain_ok": chain.first_break is None and not chain.pending,
            "cpu_ceiling_flows_per_s": os.cpu_count() / total,
            "cpu_ceiling_pdfs_deferred_flows_per_s": os.cpu_count() / interactive}  # fmt: skip


def flow_queries(data: dict) -> int:
    """SQL queries of one complete flow, in-process (APIClient + CaptureQueriesContext)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    static = flow_static(data["users"])
    clients = {}

    def call(method, path, token, body=None):
        api = clients.setdefault(token, APIClient())
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = getattr(api, method.lower())(path, body or {}, format="json")
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path} → {response.status_code}: {response.content[:300]!r}")
        return response.json()

    def upload(path, token, fields, filename, content):
        from django.core.files.uploadedfile import SimpleUploadedFile

        api = clients.setdefault(token, APIClient())
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = api.post(path, {**fields, "file": SimpleUploadedFile(filename, content)}, format="multipart")
        if response.status_code >= 300:
            raise RuntimeError(f"POST {path} → {response.status_code}: {response.content[:300]!r}")
        return response.json()

    flow = Flow(call, data["users"], static, upload)
    number = fresh_identities(2)
    flow.run(number[0])  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        flow.run(number[1])
    return len(queries)


def bench_flow_queries(data: dict, small_db: str, mode: str) -> dict:
    from django.db import connection

    big = flow_queries(data)
    result = {"queries_at_scale": big, "clients": data["clients"]}
    if mode != "smoke":
        name = connection.settings_dict["NAME"]
        database_ensure(small_db)
        connection.close()
        connection.settings_dict["NAME"] = small_db
        try:
            small_data = data_prepare(100)
            result["queries_small"] = flow_queries(small_data)
            result["clients_small"] = small_data["clients"]
        finally:
            connection.close()
            connection.settings_dict["NAME"] = name
        same = result["queries_small"] == big
        figure("3", f"SQL queries per flow at {result['clients_small']:,} clients", result["queries_small"])
        figure("3", f"SQL queries per flow at {big and data['clients']:,} clients", big, "same", same)
    else:
        figure("3", "SQL queries per flow", big)
    return result


# --- benchmark 4: client search ----------------------------------------------------------------------------


def bench_search(reps: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.crypto import blind_index
    from accounts.models import Client, FundAccount
    from accounts.selectors import client_search, client_search_queryset

    # a demo client (its own phone and name; the flow's clients all share one phone)
    fund = (
        FundAccount.objects.filter(account_no__startswith="B", client__client_no__startswith="D")
        .select_related("client")
        .order_by("-pk")
        .first()
    )
    c = fund.client
    # a name prefix that matches many clients: the first character of a demo name
    # Per search: the statements client_search sends, run as raw SQL on a cursor (the floor: the same
    # indexed lookups, columns and round trips, without Python), and a two-column lookup by the same index.
    cases = {
        "ID number": (c.id_number, "SELECT id, name FROM accounts_client WHERE id_number_index = %s",
                      blind_index(c.id_number)),
        "phone": (c.phone, "SELECT id, name FROM accounts_client WHERE phone_index = %s", blind_index(c.phone)),
        "name prefix": (c.name[:2], "SELECT id, name FROM accounts_client WHERE name LIKE %s ORDER BY name, id LIMIT 50",
                        c.name[:2] + "%"),
        "account number": (fund.account_no, "SELECT c.id, c.name FROM accounts_client c JOIN accounts_fundaccount f "
                           "ON f.client_id = c.id WHERE f.account_no = %s", fund.account_no),
    }  # fmt: skip
    result = {}
    for label, (query, narrow, param) in cases.items():
        plan = client_search_queryset(query=query).explain()
        seq = "Seq Scan on accounts_client" in plan
        with CaptureQueriesContext(connection) as q1:
            found = client_search(query=query)
        statements = [q["sql"] for q in q1.captured_queries]
        # the client itself; for a name prefix (a full page of namesakes at 1,000,000) every row matches
        hit = (bool(found) and all(x.name.startswith(query) for x in found)) if label == "name prefix" else (
            c.pk in [x.pk for x in found])  # fmt: skip

        def timed(fn, n=reps):
            samples = []
            for _ in range(n):
                s = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - s)
            return statistics.median(samples) * 1000

        def raw_all(cur, statements=statements):
            for sql in statements:
                cur.execute(sql)
                cur.fetchall()

        with connection.cursor() as cur:
            t_raw = timed(lambda cur=cur: raw_all(cur))
            t_narrow = timed(lambda cur=cur, narrow=narrow, param=param: (cur.execute(narrow, [param]), cur.fetchall()))
        t_search = timed(lambda query=query: client_search(query=query))
        t_orm = timed(lambda: list(Client.objects.filter(pk=c.pk).select_related("branch")))
        ratio = t_search / t_raw
        result[label] = {"rows": len(found), "found": hit, "seq_scan": seq, "queries": len(q1), "search_ms": t_search,
                         "raw_ms": t_raw, "narrow_raw_ms": t_narrow, "orm_by_pk_ms": t_orm, "ratio": ratio,
                         "plan": plan, "statements": statements}  # fmt: skip
        figure("4", f"{label}: found / rows / queries", f"{hit} / {len(found)} / {len(q1)}", "found", hit)
        figure("4", f"{label}: no Seq Scan on accounts_client", not seq, "no seq scan", not seq)
        figure("4", f"{label}: search {t_search:.2f} ms / its SQL raw {t_raw:.2f} ms", ratio, "≤ 3", ratio <= 3)
        figure("4", f"{label}: search / two-column lookup ({t_narrow:.2f} ms)", t_search / t_narrow)
        figure("4", f"{label}: search / one ORM row by pk ({t_orm:.2f} ms)", t_search / t_orm)
    counts = {v["queries"] for v in result.values()}
    # 1 query (names) or 2 (an alphanumeric query also looks up fund account numbers), whatever the rows returned
    figure("4", "queries per search page (ID/phone/name/account)", "/".join(str(v["queries"]) for v in result.values()),
           "≤ 2, not per row", max(counts) <= 2)  # fmt: skip
    result["clients"] = Client.objects.count()
    return result


# --- benchmark 5: history ---------------------------------------------------------------------------------


def bench_history(n: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from accounts.models import Branch, Client
    from accounts.services import client_register
    from tiering.demo import demo_data_generate

    actor = get_user_model().objects.get(username="bench-clerk")
    branch = Branch.objects.order_by("pk").first()
    numbers = fresh_identities(3 * n + 40)
    today = timezone.localdate()

    def register(k: int) -> float:
        t = time.perf_counter()
        for _ in range(k):
            client_register(actor=actor, kind="individual", name="历史压测", id_type="resident_id",
                            id_number=numbers.pop(), branch=branch, phone="13800000000",
                            id_valid_until=today.replace(year=today.year + 5))  # fmt: skip
        return (time.perf_counter() - t) / k * 1000

    from simple_history.signals import post_create_historical_record

    from archive.models import ChainPending
    from archive.services import chain_sequence, history_record_chain

    register(10)  # warm
    chain_sequence()  # rows left by earlier benchmarks: the sequencer is timed on this benchmark's rows only
    with_h, without_h, unchained = [], [], []
    for _ in range(3):  # interleave so drift hits all three
        with_h.append(register(n // 3))
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            without_h.append(register(n // 3))
        # history rows but no tamper-evidence link (docs/decisions/0007), to show what each layer costs
        post_create_historical_record.disconnect(dispatch_uid="archive_history_chain")
        try:
            unchained.append(register(n // 3))
        finally:
            post_create_historical_record.connect(history_record_chain, dispatch_uid="archive_history_chain")
    # the links themselves are appended after commit by the sequencer (docs/decisions/0007): its cost per row
    pending = ChainPending.objects.count()
    t = time.perf_counter()
    linked = chain_sequence()
    seq_ms = (time.perf_counter() - t) / max(linked, 1) * 1000
    w, wo, wu = statistics.median(with_h), statistics.median(without_h), statistics.median(unchained)
    figure("5", "client_register with history (chain: pending entry)", w, unit="ms")
    figure("5", "client_register with history, chain entry off", wu, unit="ms")
    figure("5", "client_register without history", wo, unit="ms")
    figure("5", "with / without history", w / wo, "≤ 2", w / wo <= 2)
    figure("5", "simple-history alone (chain off) / without history", wu / wo, "≤ 2", wu / wo <= 2)
    figure("5", f"sequencer after commit, per link ({linked} of {pending} pending)", seq_ms, unit="ms")
    # bulk path: the demo generator writes clients and their history with bulk_create_with_history
    counts = {}
    for batches in (2, 4):
        with CaptureQueriesContext(connection) as q:
            demo_data_generate(clients=batches * 50, batch_size=50, seed=batches + int(time.time()))
        counts[batches] = len(q)
    per_batch = (counts[4] - counts[2]) / 2
    figure("5", "bulk path: queries for 2 / 4 batches of 50 clients", f"{counts[2]} / {counts[4]}", unit="queries")
    figure("5", "bulk path: queries per extra batch of 50 rows", per_batch, "≪ 50 (batched)", per_batch < 50)
    Client.objects.filter(name="历史压测").count()
    return {
        "with_ms": w,
        "without_ms": wo,
        "unchained_ms": wu,
        "ratio": w / wo,
        "sequencer_ms_per_link": seq_ms,
        "bulk_queries": counts,
        "per_batch": per_batch,
    }


# --- main -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--database")
    parser.add_argument("--template", default="", help="clone this database when --database does not exist")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--only", default="", help="comma-separated benchmark numbers (1-8)")
    parser.add_argument("--flow-seconds", type=int)
    parser.add_argument("--web-threads", type=int, default=8,
                        help="gunicorn threads per worker (2 workers; 8 as docker-compose.yml serves)")  # fmt: skip
    parser.add_argument("--worker-nice", type=int, default=0, help="run the Celery worker at this nice level")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    cfg = dict(MODES[mode])
    clients = args.clients or cfg["clients"]
    if args.flow_seconds:
        cfg["flow_s"] = args.flow_seconds
    db = args.database or {"full": "kaihu_bench", "quick": "kaihu_bench_quick", "smoke": "kaihu_bench_smoke"}[mode]
    only = [int(x) for x in args.only.split(",") if x] or ALL
    if 1 in only and shutil.which("wrk") is None:
        log("wrk is not installed (apt-get install -y wrk): skipping benchmark 1")
        only.remove(1)
    started = datetime.datetime.now(datetime.UTC)
    t0 = time.perf_counter()
    env = configure_env(db, args.redis)
    database_ensure(db, args.template)
    import django

    django.setup()
    results: dict = {"mode": mode, "database": db, "started": started.isoformat(), "command": " ".join(sys.argv),
                     "machine": {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()}}  # fmt: skip
    try:
        data = data_prepare(clients)
        results["clients"] = data["clients"]
        print(f"\n  {'#':<4} {'figure':<52} {'value':>18}  {'goal':<24} verdict", flush=True)
        needs_servers = {1, 3, 7, 8} & set(only)
        procs = servers_start(env, port := free_port(), args.web_threads, args.worker_nice) if needs_servers else {}
        if 1 in only:
            log("1 suitability match API vs bare views (wrk) …")
            results["1_match"] = bench_match(port, data, cfg["http_s"], procs, cfg["http_rounds"])
        if 7 in only:
            log("7 Celery no-op tasks …")
            results["7_celery"] = bench_celery(args.redis, cfg["tasks"])
            log(f"7 callback workflow: {cfg['callbacks']} passed callbacks, their record tasks …")
            from bench import callback_workflow

            r = callback_workflow.measure(args.redis, cfg["callbacks"])
            results["7_callback"] = r
            figure("7", f"callback workflow tasks/s (record PDFs filed, {r['tasks']:,})",
                   r["tasks_per_s"], unit="tasks/s")  # fmt: skip
            figure("7", f"callback workflow: {r['tasks']:,} tasks in / failures", f"{r['elapsed_s']:.2f} s / "
                   f"{r['failures']}", "0 failures", r["failures"] == 0)  # fmt: skip
        if 3 in only:
            log(f"3 opening flow through the API for {cfg['flow_s']} s …")
            results["3_flow"] = bench_flow(port, data, cfg["flow_s"], cfg["flow_threads"], args.redis, procs)
        if 8 in only and procs:
            web_pids, cel_pids = children(procs["web"].pid), children(procs["worker"].pid)
            web = max((peak_rss_mb(p) for p in web_pids), default=0)
            cel = max((peak_rss_mb(p) for p in cel_pids), default=0)
            results["8_memory"] = {"gunicorn_worker_peak_mb": web, "celery_process_peak_mb": cel,
                                   "celery_main_peak_mb": peak_rss_mb(procs["worker"].pid)}  # fmt: skip
            figure("8", "peak RSS of a gunicorn worker (benchmarks 1, 3, 7)", web, unit="MB")
            figure("8", "peak RSS of a Celery pool process", cel, unit="MB")
            figure("8", "peak RSS of the Celery main process", peak_rss_mb(procs["worker"].pid), unit="MB")
        stop_all()
        if 3 in only:
            log("3 SQL queries per flow at two database sizes …")
            results["3_flow_queries"] = bench_flow_queries(data, db + "_small", mode)
        if 4 in only:
            log("4 client search …")
            results["4_search"] = bench_search(cfg["search_reps"])
        if 5 in only:
            log("5 history overhead …")
            results["5_history"] = bench_history(cfg["history_n"])
        if 2 in only:
            log("2 tier recompute …")
            from bench import tiering_recompute

            r = tiering_recompute.measure(orm_sample=cfg["orm"])
            results["2_recompute"] = r
            figure(
                "2", f"service recompute of {r['clients']:,} clients ({r['movers']:,} movers)", r["service_s"], unit="s"
            )
            figure("2", "one hand-written SQL statement", r["hand_written_s"], unit="s")
            figure("2", f"ORM loop {r['orm_sample']:,} clients, scaled", r["orm_scaled_s"], unit="s")
            figure("2", "service / hand-written", r["service_over_hand"], "≤ 1.5", r["service_over_hand"] <= 1.5)
            figure("2", "ORM loop / service", r["orm_over_service"], "≥ 10", r["orm_over_service"] >= 10)
            figure("2", "peak RSS of the bench process", r["peak_rss_mb"], unit="MB")
        if 6 in only:
            log("6 PDF …")
            from bench import pdf_render

            repeat, documents = cfg["pdf"]
            r = pdf_render.measure(repeat=repeat, documents=documents)
            results["6_pdf"] = r
            figure("6", "Latin 1 page", r["latin_1_s"], unit="s")
            figure("6", "Chinese 1 page", r["chinese_1_s"], unit="s")
            figure("6", "Chinese / Latin", r["chinese_over_latin"], "≤ 1.5", r["chinese_over_latin"] <= 1.5)
            figure("6", "per page at 20 / at 1", r["per_page_20_over_1"], "≤ 1.5", r["per_page_20_over_1"] <= 1.5)
            figure("6", f"RSS growth over {documents} documents", r["rss_growth"], "≤ 0.20", r["rss_growth"] <= 0.20)
            figure("6", f"RSS MB at 0 / {documents // 2} / {documents} documents",
                   f"{r['rss_start_mb']:.0f} / {r['rss_mid_mb']:.0f} / {r['rss_end_mb']:.0f}")  # fmt: skip
    except BaseException as exc:
        results["error"] = repr(exc)
        raise
    finally:
        stop_all()
        results_write(results, mode, started, t0)
    return 0


def results_write(results: dict, mode: str, started: datetime.datetime, t0: float) -> None:
    """Written also when a benchmark failed, with what was measured up to then."""
    results["rows"] = ROWS
    results["seconds"] = time.perf_counter() - t0
    results["peak_rss_bench_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{mode}-{started:%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(results, indent=1, default=str, ensure_ascii=False))
    short = [r for r in ROWS if r["verdict"] == "SHORT"]
    log(f"done in {results['seconds']:.0f} s; {len(short)} short of goal; results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
