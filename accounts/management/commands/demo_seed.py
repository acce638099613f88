"""Demo data for the embedded mode: a branch and one staff login per role, printed with passwords."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.audit import audited_save
from accounts.models import Branch
from accounts.roles import Role
from accounts.services import staff_create

# (username, role, full name, employee no, marketing role?)
DEMO_STAFF = [
    ("clerk", Role.CLERK, "王柜台", "E1001", False),
    ("reviewer", Role.REVIEWER, "李复核", "E1002", False),
    ("witness", Role.WITNESS, "张见证", "E1003", False),
    ("callback", Role.CALLBACK_AGENT, "赵回访", "E1004", False),
    ("cbsupervisor", Role.CALLBACK_SUPERVISOR, "钱主管", "E1005", False),
    ("manager", Role.ACCOUNT_MANAGER, "孙经理", "E1006", True),
    ("compliance", Role.COMPLIANCE, "周合规", "E1007", False),
    ("admin", Role.ADMIN, "吴管理", "E1008", False),
]


def demo_password(username: str) -> str:
    return f"demo-{username}-2026"


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the staff logins. Refused in production settings."

    def handle(self, *args, **options):
        if settings.SETTINGS_MODULE.endswith("production"):
            raise CommandError("demo data is never loaded with production settings")
        with transaction.atomic():
            branch = Branch.objects.filter(code="0101").first()
            if branch is None:
                branch = Branch(code="0101", name="北京建国门外大街营业部", address="北京市朝阳区建国门外大街1号")
                audited_save(branch, actor=None, reason="demo data")
            User = get_user_model()
            for username, role, full_name, employee_no, marketing in DEMO_STAFF:
                if User.objects.filter(username=username).exists():
                    continue
                profile = staff_create(
                    actor=None,
                    username=username,
                    password=demo_password(username),
                    full_name=full_name,
                    employee_no=employee_no,
                    roles=[role.value],
                    branch=branch,
                    is_marketing_role=marketing,
                    qualification_no=f"S{employee_no[1:]}0120260001",
                    witness_trained_on=datetime.date(2026, 3, 1) if role == Role.WITNESS else None,
                )
                if role == Role.ADMIN:
                    profile.user.is_superuser = True
                    profile.user.save(update_fields=["is_superuser"])
        self.stdout.write(self.style.SUCCESS("演示账号 Demo staff logins (http://127.0.0.1:8000/):"))
        for username, role, full_name, _no, _m in DEMO_STAFF:
            self.stdout.write(f"  {username:<13} {demo_password(username):<24} {role.label}  {full_name}")
