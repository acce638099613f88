"""State of the local simulators of outside systems (SPEC §9), kept in the database so every process
(web, worker, tests) sees the same deterministic world. Never used when a real gateway is configured."""

from django.db import models


class GatewayFault(models.Model):
    """An injected behaviour for one gateway operation: slow answers, transient errors, permanent refusals.

    `key` narrows the fault to one subject (e.g. an ID number's blind index); empty matches any call.
    `remaining` counts down for transient faults; null means every call.
    """

    class Mode(models.TextChoices):
        SLOW = "slow"
        TRANSIENT = "transient"
        PERMANENT = "permanent"

    system = models.CharField(max_length=20)  # csdc, identity, bank
    operation = models.CharField(max_length=40)
    key = models.CharField(max_length=64, blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    remaining = models.PositiveIntegerField(null=True, blank=True)
    delay_ms = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.system}.{self.operation} {self.mode} {self.key or '*'}"


class CsdcSimAccount(models.Model):
    """中国结算 simulator: one unified account (一码通) with its SH and SZ sub-accounts."""

    ymt_no = models.CharField(max_length=20, unique=True)
    id_type = models.CharField(max_length=20)
    id_index = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    sh_account = models.CharField(max_length=20, blank=True)
    sz_account = models.CharField(max_length=20, blank=True)
    sh_link = models.CharField(max_length=12, default="confirmed")
    sz_link = models.CharField(max_length=12, default="confirmed")
    applied_requests = models.JSONField(default=list)  # request refs already applied (idempotency)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["id_type", "id_index"], name="csdc_sim_unique_identity")]

    def __str__(self) -> str:
        return self.ymt_no


class BankSimBinding(models.Model):
    """存管银行 simulator: one binding per fund account, found again by request reference."""

    request_ref = models.CharField(max_length=64, unique=True)
    fund_account_no = models.CharField(max_length=20)
    bank_code = models.CharField(max_length=10)
    bank_reference = models.CharField(max_length=40)

    def __str__(self) -> str:
        return self.bank_reference


class IdentitySimRecord(models.Model):
    """公安部 citizen identity simulator. No row: the ID is registered under the name given."""

    id_index = models.CharField(max_length=64, unique=True)
    registered_name = models.CharField(max_length=100, blank=True)
    not_found = models.BooleanField(default=False)
    photo_similarity = models.DecimalField(max_digits=4, decimal_places=3, default="0.950")

    def __str__(self) -> str:
        return self.id_index[:12]
