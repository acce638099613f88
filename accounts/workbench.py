"""The staff home page (工作台): what each role sees first. Later stages add their panels here."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .roles import Role, user_roles


@dataclass
class Link:
    label: str
    url: str
    count: int | None = None


@dataclass
class Panel:
    role: str
    title: str
    description: str
    links: list[Link] = field(default_factory=list)


def _panels_for(role: str, user) -> list[Panel]:
    from django.urls import reverse

    if role == Role.CLERK:
        return [Panel(role, _("开户与资料变更"), _("现场、见证、网上开户；客户资料修改；风险测评。"))]
    if role == Role.REVIEWER:
        return [
            Panel(role, _("待复核"), _("经办人提交的开户申请与资料变更，复核通过或驳回（不得复核本人经办的业务）。"))
        ]
    if role == Role.WITNESS:
        return [Panel(role, _("见证开户"), _("营业场所外见证客户身份与签署。"))]
    if role == Role.CALLBACK_AGENT:
        return [Panel(role, _("回访任务"), _("账户激活前的回访：五项确认。"))]
    if role == Role.CALLBACK_SUPERVISOR:
        return [Panel(role, _("回访管理"), _("逾期、升级与重新分配的回访任务。"))]
    if role == Role.ACCOUNT_MANAGER:
        return [Panel(role, _("我的客户"), _("客户分级与服务权益。"))]
    if role == Role.COMPLIANCE:
        return [
            Panel(
                role,
                _("合规检查"),
                _("审计轨迹、客户档案、适当性记录与检查材料导出。"),
                [Link(str(_("员工名录")), reverse("staff-list"))],
            )
        ]
    if role == Role.ADMIN:
        return [
            Panel(
                role,
                _("系统管理"),
                _("营业部、员工、问卷版本、产品、分级策略。"),
                [Link(str(_("管理后台")), reverse("admin:index"))],
            )
        ]
    if role == Role.API_CLIENT:
        return [Panel(role, _("内部系统"), _("通过 REST API 访问。"), [Link("API", reverse("swagger-ui"))])]
    return []


def workbench_panels(user) -> list[Panel]:
    panels: list[Panel] = []
    for role in user_roles(user):
        panels.extend(_panels_for(role, user))
    return panels
