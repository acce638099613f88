from django.db import migrations

RISK = """尊敬的投资者：
证券市场是一个风险无时不在的市场。您在进行证券交易时存在赢利的可能，也存在亏损的风险。
本风险揭示书揭示的风险包括但不限于：政策风险、经济周期风险、利率风险、购买力风险、上市公司经营风险、
技术风险、不可抗力风险，以及因您本人或他人操作失误、密码泄露而产生的风险。请您妥善保管交易密码，
不得将账户出借他人使用。投资有风险，入市需谨慎。
(Risk disclosure: securities investment carries the risk of loss, including policy, economic-cycle, interest-rate,
purchasing-power, issuer, technical and force-majeure risks, and risks from lost or disclosed passwords.)"""

AGREEMENT = """证券交易委托代理协议、客户交易结算资金第三方存管协议及客户账户开户协议。
客户应保证所提供资料真实、准确、完整；账户实名，不得出借；关键信息（姓名、证件类型、证件号码）的变更须按约定方式办理。
(Brokerage agreement, third-party depository agreement and account-opening agreement.)"""


def create(apps, schema_editor):
    DisclosureDocument = apps.get_model("onboarding", "DisclosureDocument")
    DisclosureDocument.objects.get_or_create(
        kind="risk_disclosure", version="2026.1", defaults={"title": "证券交易风险揭示书", "body": RISK}
    )
    DisclosureDocument.objects.get_or_create(
        kind="agreement", version="2026.1", defaults={"title": "客户开户协议（含委托代理与三方存管）", "body": AGREEMENT}
    )


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
