"""The default tier policy of SPEC §7 (version 1, active) and the entitlements of each tier."""

from django.db import migrations

DEFAULT_RULES = [
    {
        "tier": "A",
        "name": "关键客户",
        "criteria": [
            {"metric": "contribution_12m", "top_percent": 5.0},
            {"metric": "total_assets", "op": ">=", "value": 5000000.0},
        ],
    },
    {
        "tier": "B",
        "name": "主要客户",
        "criteria": [
            {"metric": "contribution_12m", "top_percent": 20.0},
            {"metric": "total_assets", "op": ">=", "value": 1000000.0},
        ],
    },
    {"tier": "C", "name": "普通客户", "criteria": []},
]

ENTITLEMENTS = [
    ("A", True, "深度研究报告、首席策略会", True, "VIP 费率（万1.5）", "年度客户答谢会、线下路演"),
    ("B", True, "行业研究周报", True, "优惠费率（万2）", "季度投资策略会"),
    ("C", False, "每日市场资讯", False, "标准费率（万2.5）", "线上投资者教育"),
]


def forwards(apps, schema_editor):
    TierPolicy = apps.get_model("tiering", "TierPolicy")
    TierRule = apps.get_model("tiering", "TierRule")
    TierEntitlement = apps.get_model("tiering", "TierEntitlement")
    if not TierPolicy.objects.exists():
        policy = TierPolicy.objects.create(version=1, status="active", note="SPEC §7 默认策略")
        for order, rule in enumerate(DEFAULT_RULES, start=1):
            TierRule.objects.create(policy=policy, order=order, **rule)
    for tier, manager, research, callback, fees, events in ENTITLEMENTS:
        TierEntitlement.objects.update_or_create(
            tier=tier,
            defaults={
                "dedicated_manager": manager,
                "research": research,
                "priority_callback": callback,
                "fee_schedule": fees,
                "events": events,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tiering", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
