"""The default questionnaires of this product (SPEC §5): individuals (15 questions) and institutions.

Scores run 0-100 (the maximum of every question adds up to 100; a multi-select question scores its best
option and the varieties question scores 0). Bands are the SPEC §5 defaults. Data is inlined on purpose:
a migration must not change when application code does.
"""

from django.db import migrations
from django.utils import timezone

BANDS = [
    {"level": "C1", "max": 19},
    {"level": "C2", "max": 36},
    {"level": "C3", "max": 53},
    {"level": "C4", "max": 82},
    {"level": "C5", "max": 100},
]


def o(code, zh, en, score, **extra):
    return {"code": code, "text_zh": zh, "text_en": en, "score": score, **extra}


VARIETIES_QUESTION = {
    "code": "varieties",
    "dimension": "varieties",
    "multi_select": True,
    "text_zh": "您（贵机构）有意投资的品种是？（可多选）",
    "text_en": "Which product varieties do you want to invest in? (choose all that apply)",
    "options": [
        o(
            "A",
            "债券、货币市场基金等固定收益类",
            "Bonds, money-market funds and other fixed income",
            0,
            variety="fixed_income",
        ),
        o("B", "公募基金", "Mutual funds", 0, variety="fund"),
        o("C", "股票等权益类", "Stocks and other equities", 0, variety="equity"),
        o(
            "D",
            "资产管理计划、私募、结构化产品",
            "Asset-management plans, private and structured products",
            0,
            variety="structured",
        ),
        o("E", "期货、期权等衍生品", "Futures, options and other derivatives", 0, variety="derivatives"),
        o("F", "其他", "Other", 0, variety="other"),
    ],
}

INDIVIDUAL = [
    {
        "code": "age",
        "dimension": "age",
        "text_zh": "您的年龄是？",
        "text_en": "How old are you?",
        "options": [
            o("A", "18-30岁", "18-30", 6),
            o("B", "31-50岁", "31-50", 5),
            o("C", "51-60岁", "51-60", 3),
            o("D", "61-69岁", "61-69", 2),
            o("E", "70岁及以上", "70 or older", 0),
        ],
    },
    {
        "code": "income",
        "dimension": "income",
        "text_zh": "您的家庭年收入（折合人民币）约为？",
        "text_en": "What is your household's annual income (RMB)?",
        "options": [
            o("A", "10万元以下", "Under 100,000", 0),
            o("B", "10万-50万元", "100,000-500,000", 3),
            o("C", "50万-100万元", "500,000-1,000,000", 6),
            o("D", "100万元以上", "Over 1,000,000", 8),
        ],
    },
    {
        "code": "income_stability",
        "dimension": "income",
        "text_zh": "您的收入来源稳定吗？",
        "text_en": "How stable is your income?",
        "options": [
            o("A", "无固定收入", "No regular income", 0),
            o("B", "收入不太稳定", "Not very stable", 2),
            o("C", "收入稳定", "Stable", 4),
        ],
    },
    {
        "code": "assets",
        "dimension": "assets",
        "text_zh": "您可用于投资的金融资产（存款、证券、基金、理财等）约为？",
        "text_en": "How much financial assets (deposits, securities, funds, wealth products) can you invest?",
        "options": [
            o("A", "50万元以下", "Under 500,000", 0),
            o("B", "50万-300万元", "500,000-3,000,000", 3),
            o("C", "300万-1000万元", "3,000,000-10,000,000", 6),
            o("D", "1000万元以上", "Over 10,000,000", 8),
        ],
    },
    {
        "code": "invest_share",
        "dimension": "assets",
        "text_zh": "您计划用于证券投资的资金占家庭金融资产的比例是？",
        "text_en": "What share of your household's financial assets do you plan to invest in securities?",
        "options": [
            o("A", "70%以上", "Over 70%", 0),
            o("B", "30%-70%", "30%-70%", 3),
            o("C", "10%-30%", "10%-30%", 6),
            o("D", "10%以下", "Under 10%", 8),
        ],
    },
    {
        "code": "debt",
        "dimension": "debt",
        "text_zh": "您目前的负债情况是？",
        "text_en": "What are your current debts?",
        "options": [
            o("A", "负债超过金融资产的50%", "Debts above 50% of my financial assets", 0),
            o("B", "负债为金融资产的20%-50%", "Debts 20%-50% of my financial assets", 2),
            o("C", "负债低于金融资产的20%", "Debts under 20% of my financial assets", 4),
            o("D", "没有负债", "No debts", 6),
        ],
    },
    {
        "code": "experience_years",
        "dimension": "experience",
        "text_zh": "您投资股票、基金、债券等金融产品的年限是？",
        "text_en": "How long have you invested in stocks, funds, bonds or similar products?",
        "options": [
            o("A", "没有经验", "No experience", 0),
            o("B", "2年以下", "Under 2 years", 3),
            o("C", "2-5年", "2-5 years", 6),
            o("D", "5年以上", "Over 5 years", 8),
        ],
    },
    {
        "code": "experience_products",
        "dimension": "experience",
        "text_zh": "您曾投资过的风险最高的品种是？",
        "text_en": "What is the riskiest kind of product you have invested in?",
        "options": [
            o("A", "仅银行存款", "Bank deposits only", 0),
            o("B", "债券、货币基金、银行理财", "Bonds, money funds, bank wealth products", 3),
            o("C", "股票、混合型或股票型基金", "Stocks, mixed or equity funds", 6),
            o("D", "期货、期权、融资融券、私募等", "Futures, options, margin trading, private funds", 8),
        ],
    },
    {
        "code": "knowledge",
        "dimension": "knowledge",
        "text_zh": "您对金融产品及其风险的了解程度是？",
        "text_en": "How well do you understand financial products and their risks?",
        "options": [
            o("A", "基本不了解", "Hardly at all", 0),
            o("B", "有一些了解", "Somewhat", 3),
            o("C", "比较了解", "Fairly well", 6),
            o("D", "非常了解", "Very well", 8),
        ],
    },
    {
        "code": "knowledge_background",
        "dimension": "knowledge",
        "text_zh": "您是否有金融相关的学习或工作背景？",
        "text_en": "Do you have a finance-related education or job?",
        "options": [
            o("A", "没有", "No", 0),
            o("B", "有相关学习或工作经历", "Related studies or work", 2),
            o(
                "C",
                "持有金融类专业资格或从事金融工作2年以上",
                "A finance qualification or over 2 years working in finance",
                4,
            ),
        ],
    },
    {
        "code": "goal",
        "dimension": "goal",
        "text_zh": "您的投资目标是？",
        "text_en": "What is your investment goal?",
        "options": [
            o("A", "保本保值，不接受本金损失", "Preserve capital", 0),
            o("B", "获取稳定收益", "Steady income", 3),
            o("C", "资产稳步增长", "Steady growth", 6),
            o("D", "追求高收益", "High returns", 8),
        ],
    },
    {
        "code": "horizon",
        "dimension": "horizon",
        "text_zh": "您计划的投资期限是？",
        "text_en": "How long do you plan to invest?",
        "options": [
            o("A", "1年以内", "Under 1 year", 0, horizon="short"),
            o("B", "1-5年", "1-5 years", 3, horizon="medium"),
            o("C", "5年以上", "Over 5 years", 6, horizon="long"),
        ],
    },
    {
        "code": "loss_tolerance",
        "dimension": "loss_tolerance",
        "text_zh": "您能承受的最大投资损失是？",
        "text_en": "What is the largest loss you can bear?",
        "options": [
            o("A", "不能承受任何损失", "I cannot bear any loss", 0, lowest_category=True),
            o("B", "10%以内", "Up to 10%", 3),
            o("C", "10%-30%", "10%-30%", 6),
            o("D", "30%以上", "Over 30%", 10),
        ],
    },
    {
        "code": "loss_reaction",
        "dimension": "loss_tolerance",
        "text_zh": "若您的投资短期内下跌20%，您会？",
        "text_en": "If your investment fell 20% in a short time, what would you do?",
        "options": [
            o("A", "全部卖出", "Sell everything", 0),
            o("B", "卖出一部分", "Sell some", 3),
            o("C", "继续持有", "Hold", 6),
            o("D", "逢低加仓", "Buy more", 8),
        ],
    },
    VARIETIES_QUESTION,
]

INSTITUTION = [
    {
        "code": "net_assets",
        "dimension": "assets",
        "text_zh": "贵机构最近一年末的净资产为？",
        "text_en": "What were your net assets at the last year end?",
        "options": [
            o("A", "1000万元以下", "Under 10m", 0),
            o("B", "1000万-2000万元", "10m-20m", 8),
            o("C", "2000万元以上", "Over 20m", 15),
        ],
    },
    {
        "code": "financial_assets",
        "dimension": "assets",
        "text_zh": "贵机构最近一年末的金融资产为？",
        "text_en": "What were your financial assets at the last year end?",
        "options": [
            o("A", "500万元以下", "Under 5m", 0),
            o("B", "500万-1000万元", "5m-10m", 8),
            o("C", "1000万元以上", "Over 10m", 15),
        ],
    },
    {
        "code": "experience_years",
        "dimension": "experience",
        "text_zh": "贵机构从事证券、期货等投资的年限是？",
        "text_en": "How long have you invested in securities, futures or similar?",
        "options": [
            o("A", "没有经验", "No experience", 0),
            o("B", "2年以下", "Under 2 years", 7),
            o("C", "2年及以上", "2 years or more", 15),
        ],
    },
    {
        "code": "knowledge",
        "dimension": "knowledge",
        "text_zh": "贵机构是否配备专职投资人员？",
        "text_en": "Do you have dedicated investment staff?",
        "options": [
            o("A", "没有", "No", 0),
            o("B", "有兼职人员", "Part-time staff", 5),
            o("C", "有专职团队", "A dedicated team", 10),
        ],
    },
    {
        "code": "goal",
        "dimension": "goal",
        "text_zh": "贵机构的投资目标是？",
        "text_en": "What is your investment goal?",
        "options": [
            o("A", "保本保值", "Preserve capital", 0),
            o("B", "稳定收益", "Steady income", 7),
            o("C", "追求较高收益", "Higher returns", 15),
        ],
    },
    {
        "code": "horizon",
        "dimension": "horizon",
        "text_zh": "贵机构计划的投资期限是？",
        "text_en": "How long do you plan to invest?",
        "options": [
            o("A", "1年以内", "Under 1 year", 0, horizon="short"),
            o("B", "1-5年", "1-5 years", 5, horizon="medium"),
            o("C", "5年以上", "Over 5 years", 10, horizon="long"),
        ],
    },
    {
        "code": "loss_tolerance",
        "dimension": "loss_tolerance",
        "text_zh": "贵机构能承受的最大投资损失是？",
        "text_en": "What is the largest loss you can bear?",
        "options": [
            o("A", "不能承受任何损失", "We cannot bear any loss", 0, lowest_category=True),
            o("B", "10%以内", "Up to 10%", 7),
            o("C", "10%-30%", "10%-30%", 14),
            o("D", "30%以上", "Over 30%", 20),
        ],
    },
    VARIETIES_QUESTION,
]


def create(apps, schema_editor):
    Questionnaire = apps.get_model("suitability", "Questionnaire")
    Question = apps.get_model("suitability", "Question")
    Option = apps.get_model("suitability", "Option")
    now = timezone.now()
    for code, audience, title_zh, title_en, questions in (
        (
            "IND-RISK",
            "individual",
            "个人投资者风险承受能力评估问卷",
            "Risk tolerance questionnaire for individuals",
            INDIVIDUAL,
        ),
        (
            "INST-RISK",
            "institution",
            "机构投资者风险承受能力评估问卷",
            "Risk tolerance questionnaire for institutions",
            INSTITUTION,
        ),
    ):
        questionnaire = Questionnaire.objects.create(
            code=code,
            version=1,
            audience=audience,
            title_zh=title_zh,
            title_en=title_en,
            status="published",
            published_at=now,
            validity_months=24,
            score_bands=BANDS,
        )
        for order, q in enumerate(questions, start=1):
            data = {k: v for k, v in q.items() if k != "options"}
            question = Question.objects.create(questionnaire=questionnaire, order=order, **data)
            for o_order, opt in enumerate(q["options"], start=1):
                Option.objects.create(question=question, order=o_order, **opt)


def remove(apps, schema_editor):
    apps.get_model("suitability", "Option").objects.filter(question__questionnaire__version=1).delete()
    apps.get_model("suitability", "Question").objects.filter(questionnaire__version=1).delete()
    apps.get_model("suitability", "Questionnaire").objects.filter(
        code__in=["IND-RISK", "INST-RISK"], version=1
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("suitability", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
