"""Demo data for tiering and the client-structure dashboards: DEMO DATA ONLY, never production.

Clients are created in batches with bulk inserts, bypassing accounts.services.client_register (its
per-client checks, locks and numbering are too slow for 1,000,000 rows). Personal data still goes through
the model's EncryptedTextField (Fernet) and the blind indexes are computed with accounts.crypto, so the
rows look exactly like real ones; history rows are written in batches (simple-history
bulk_create_with_history). Shares imitate the thesis survey (reference/000_…txt, figs 2.1–2.12): age,
education, occupation, investment experience and risk tolerance; assets are lognormal and contribution
follows assets × a lognormal turnover, so a few clients bring most of the value (Pareto).
"""

import datetime
import math
import random
import time
from collections.abc import Callable

from django.db import connection, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from stdnum.cn import ric

from accounts.crypto import blind_index
from accounts.fields import EncryptedTextField
from accounts.models import Branch, Client, ClientKind, ClientStatus, IdTypeChoices

from .models import ClientMetric

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文博宇浩然欣怡子涵梓轩思远晨曦嘉怡俊杰"
REGIONS = [
    "110101", "110105", "110108", "120101", "310101", "310104", "310115", "320102", "320505", "330106",
    "330212", "350203", "370102", "420102", "440103", "440106", "440305", "500103", "510104", "610113",
]  # fmt: skip
BRANCHES = [
    ("D001", "北京金融街营业部"),
    ("D002", "上海陆家嘴营业部"),
    ("D003", "深圳福田营业部"),
    ("D004", "杭州西湖营业部"),
    ("D005", "成都天府营业部"),
]
# (value, share %) — thesis fig 2.1 age, 2.2 education, 2.3 occupation, 2.7 experience, 2.12 risk tolerance
AGE_BANDS = [((18, 29), 18), ((30, 44), 49), ((45, 64), 26), ((65, 85), 7)]
EDUCATION = [("大专", 40), ("本科", 28), ("中专/高中", 23), ("初中及以下", 6), ("硕士", 3)]
OCCUPATIONS = [("行政事业/企业单位", 57), ("个体工商户", 21), ("学生", 9), ("无业", 7), ("金融机构", 6)]
EXPERIENCE = [((0, 0), 14), ((1, 2), 21), ((3, 4), 36), ((5, 12), 29)]
RISK = [("C1", 19), ("C2", 25), ("C3", 25), ("C4", 21), ("C5", 10)]
INCOME = ["10万以下", "10-30万", "30-50万", "50万以上"]


def _pick(rng: random.Random, table: list[tuple]):
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def resident_id(rng: random.Random, birth: datetime.date, male: bool) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum takes all 18 characters


def _metrics(rng: random.Random, years: int) -> dict:
    dormant = rng.random() < 0.15
    assets = round(math.exp(rng.gauss(math.log(80_000), 1.6)), 2)
    if dormant:
        return {"total_assets": round(assets * 0.1, 2), "contribution_12m": 0, "trades_12m": 0}
    turnover = math.exp(rng.gauss(math.log(3.0), 1.0))  # traded value / assets per year
    contribution = round(assets * turnover * 0.0005, 2)  # ~万2.5 each side
    trades = max(1, int(math.exp(rng.gauss(math.log(30), 1.2))))
    return {"total_assets": assets, "contribution_12m": contribution, "trades_12m": trades}


def _bulk_insert(objs: list, model, *, batch_size: int, history_reason: str | None = None) -> list:
    """Insert `objs` and set their pks; with `history_reason`, write their "+" history rows too.

    Elsewhere this is simple-history's bulk_create_with_history (or bulk_create). On PostgreSQL it is one
    INSERT … RETURNING id per batch with the values taken straight from the instances (only the fields
    that encode their value — encrypted, JSON, decimal — go through Django's conversion), and the history
    rows are copied from the rows just written by one INSERT … SELECT, so each value is encrypted once.
    Django's per-value compilation was two thirds of the generator's time at 1,000,000 clients. The rows
    are the same either way: same columns, same ciphertext format, history_date = now, no history user.
    """
    if connection.vendor != "postgresql":
        if history_reason is None:
            return model.objects.bulk_create(objs, batch_size=batch_size)
        return bulk_create_with_history(objs, model, batch_size=batch_size, default_change_reason=history_reason)
    from psycopg2.extras import execute_values

    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    encode = [f if isinstance(f, EncryptedTextField | models.JSONField | models.DecimalField) else None for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    pk = connection.ops.quote_name(meta.pk.column)
    with connection.cursor() as cur:
        for start in range(0, len(objs), batch_size):
            chunk = objs[start : start + batch_size]
            rows = [
                tuple(
                    getattr(obj, f.attname) if e is None else e.get_db_prep_save(getattr(obj, f.attname), connection)
                    for f, e in zip(fields, encode, strict=True)
                )
                for obj in chunk
            ]
            insert = f"INSERT INTO {table} ({columns}) VALUES %s RETURNING {pk}"  # noqa: S608  # nosec B608
            ids = execute_values(cur.cursor, insert, rows, page_size=len(rows), fetch=True)
            for obj, (new_pk,) in zip(chunk, ids, strict=True):
                obj.pk = new_pk
                obj._state.adding, obj._state.db = False, "default"
            if history_reason is not None:
                history = model.history.model
                tracked = {f.column for f in meta.concrete_fields}
                common = ", ".join(
                    connection.ops.quote_name(f.column) for f in history._meta.concrete_fields if f.column in tracked
                )
                htable = connection.ops.quote_name(history._meta.db_table)
                copy = (  # model identifiers only; every value is a parameter
                    f"INSERT INTO {htable} ({common}, history_date, history_change_reason, history_type, "  # noqa: S608  # nosec B608
                    f"history_user_id) SELECT {common}, %s, %s, '+', NULL FROM {table} WHERE {pk} = ANY(%s)"
                )
                cur.execute(copy, [now, history_reason, [obj.pk for obj in chunk]])
    return objs


def demo_data_generate(
    *,
    clients: int,
    seed: int = 7,
    as_of: datetime.date | None = None,
    batch_size: int = 5000,
    with_assessments: bool = True,
    log: Callable[[str], None] = lambda _m: None,
) -> dict:
    """Create `clients` demo clients (with metrics as of `as_of`, and a risk assessment each when a
    published individual questionnaire exists). Returns counts and timings."""
    from suitability.models import Assessment, Questionnaire

    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    as_of = as_of or timezone.localdate()
    today = timezone.localdate()
    branches = [Branch.objects.get_or_create(code=c, defaults={"name": n})[0] for c, n in BRANCHES]
    questionnaire = (
        Questionnaire.objects.filter(audience="individual", status="published").first() if with_assessments else None
    )
    last = Client.objects.filter(client_no__startswith="D").order_by("-client_no").values_list("client_no", flat=True)
    next_no = int(last[0][1:]) + 1 if last else 1
    seen: set[str] = set()
    made = 0
    t0 = time.perf_counter()
    timing = {"clients_s": 0.0, "assessments_s": 0.0, "metrics_s": 0.0}
    while made < clients:
        n = min(batch_size, clients - made)
        batch: list[Client] = []
        extra: list[tuple[int, str]] = []
        while len(batch) < n:
            lo, hi = _pick(rng, AGE_BANDS)
            age = rng.randint(lo, hi)
            birth = today - datetime.timedelta(days=age * 365 + rng.randrange(0, 365))
            male = rng.random() < 0.55
            number = resident_id(rng, birth, male)
            index = blind_index(number)
            if index in seen:
                continue
            seen.add(index)
            occupation = _pick(rng, OCCUPATIONS)
            while occupation == "学生" and age >= 30:
                occupation = _pick(rng, OCCUPATIONS)
            ylo, yhi = _pick(rng, EXPERIENCE)
            years = min(rng.randint(ylo, yhi), max(age - 18, 0))
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            batch.append(
                Client(
                    client_no=f"D{next_no + len(batch):09d}",
                    kind=ClientKind.INDIVIDUAL,
                    status=ClientStatus.ACTIVE,
                    branch=rng.choice(branches),
                    name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                    id_type=IdTypeChoices.RESIDENT_ID,
                    id_number=number,
                    id_number_index=index,
                    id_valid_until=today.replace(year=today.year + 10),
                    birth_date=birth,
                    gender="M" if male else "F",
                    occupation=occupation,
                    education=_pick(rng, EDUCATION),
                    income_band=rng.choice(INCOME),
                    investment_years=years,
                    phone=phone,
                    phone_index=blind_index(phone),
                    address=f"演示地址{rng.randrange(1, 999)}号",
                )
            )
            extra.append((years, _pick(rng, RISK)))
        # drop the (rare) numbers already in the database from an earlier run
        taken = set(
            Client.objects.filter(
                id_type=IdTypeChoices.RESIDENT_ID, id_number_index__in=[c.id_number_index for c in batch]
            ).values_list("id_number_index", flat=True)
        )
        if taken:
            keep = [i for i, c in enumerate(batch) if c.id_number_index not in taken]
            batch, extra = [batch[i] for i in keep], [extra[i] for i in keep]
        with transaction.atomic():
            t = time.perf_counter()
            created = _bulk_insert(batch, Client, batch_size=batch_size, history_reason="demo data")
            timing["clients_s"] += time.perf_counter() - t
            if not all(c.pk for c in created):  # SQLite before returning ids: fetch them back
                ids = dict(
                    Client.objects.filter(client_no__in=[c.client_no for c in created]).values_list("client_no", "pk")
                )
                for c in created:
                    c.pk = c.id = ids[c.client_no]
            t = time.perf_counter()
            if questionnaire is not None:
                now = timezone.now()
                assessments = [
                    Assessment(
                        client_id=c.pk,
                        questionnaire=questionnaire,
                        questionnaire_code=questionnaire.code,
                        questionnaire_version=questionnaire.version,
                        answers={},
                        total_score=0,
                        score_level=risk,
                        risk_level=risk,
                        horizon="medium",
                        inputs={"demo": True},
                        assessed_at=now,
                        valid_until=today.replace(year=today.year + 2),
                    )
                    for c, (_years, risk) in zip(created, extra, strict=True)
                ]
                _bulk_insert(assessments, Assessment, batch_size=batch_size, history_reason="demo")
            timing["assessments_s"] += time.perf_counter() - t
            t = time.perf_counter()
            _bulk_insert(
                [
                    ClientMetric(
                        client_id=c.pk,
                        as_of=as_of,
                        tenure_months=years * 12 + rng.randrange(0, 12),
                        **_metrics(rng, years),
                    )
                    for c, (years, _risk) in zip(created, extra, strict=True)
                ],
                ClientMetric,
                batch_size=batch_size,
            )
            timing["metrics_s"] += time.perf_counter() - t
        made += len(batch)
        next_no += n
        elapsed = time.perf_counter() - t0
        log(f"{made}/{clients} clients ({made / elapsed:,.0f}/s)")
    elapsed = time.perf_counter() - t0
    return {
        "clients": made,
        "seconds": round(elapsed, 2),
        "per_second": round(made / elapsed) if elapsed else 0,
        **{k: round(v, 2) for k, v in timing.items()},
    }
