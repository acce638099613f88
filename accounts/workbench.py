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


def _onboarding_queue_count(user) -> int:
    from onboarding.selectors import applications_for_review

    return applications_for_review(user=user).count()


def _change_queue_count(user) -> int:
    from .selectors import change_requests_for_review

    return change_requests_for_review(user=user).count()


def _panels_for(role: str, user) -> list[Panel]:
    from django.urls import reverse

    if role == Role.CLERK:
        return [
            Panel(
                role,
                _("开户与资料变更"),
                _("现场、见证、网上开户；客户资料修改；风险测评。"),
                [
                    Link(str(_("新建开户申请")), reverse("onboarding-new")),
                    Link(str(_("我经办的开户申请")), reverse("onboarding-list") + "?mine=on"),
                    Link(str(_("客户资料变更")), reverse("change-client-search")),
                ],
            )
        ]
    if role == Role.REVIEWER:
        return [
            Panel(
                role,
                _("待复核"),
                _("经办人提交的开户申请与资料变更，复核通过或驳回（不得复核本人经办的业务）。"),
                [
                    Link(str(_("开户复核队列")), reverse("onboarding-queue"), _onboarding_queue_count(user)),
                    Link(str(_("资料变更复核队列")), reverse("change-queue"), _change_queue_count(user)),
                    Link(str(_("资料变更待处理")), reverse("change-manual")),
                ],
            )
        ]
    if role == Role.WITNESS:
        return [Panel(role, _("见证开户"), _("营业场所外见证客户身份与签署。"))]
    if role == Role.CALLBACK_AGENT:
        return [
            Panel(
                role,
                _("回访任务"),
                _("账户激活前的回访：五项确认。"),
                [Link(str(_("我的回访任务")), reverse("callbacks-queue"))],
            )
        ]
    if role == Role.CALLBACK_SUPERVISOR:
        return [
            Panel(
                role,
                _("回访管理"),
                _("逾期、升级与重新分配的回访任务。"),
                [
                    Link(str(_("回访管理")), reverse("callbacks-supervisor")),
                    Link(str(_("回访任务")), reverse("callbacks-queue")),
                ],
            )
        ]
    if role == Role.ACCOUNT_MANAGER:
        return [Panel(role, _("我的客户"), _("客户分级与服务权益。"))]
    if role == Role.COMPLIANCE:
        return [
            Panel(
                role,
                _("合规检查"),
                _("审计轨迹、客户档案、适当性记录与检查材料导出。"),
                [
                    Link(str(_("审计查询")), reverse("audit-index")),
                    Link(str(_("防篡改校验")), reverse("audit-chain")),
                    Link(str(_("员工名录")), reverse("staff-list")),
                ],
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
    from django.urls import reverse

    panels: list[Panel] = []
    for role in user_roles(user):
        panels.extend(_panels_for(role, user))
    if user.has_perm("archive.view_document") and panels:  # the client file is reached from the first panel
        # Compliance looks clients up from its own panel, wherever that panel sits.
        home = next((p for p in panels if p.role == Role.COMPLIANCE), panels[0])
        home.links.append(Link(str(_("客户档案查询")), reverse("archive-client-search")))
    if user.has_perm("tiering.view_tier_dashboard") and panels:  # tiering (SPEC §7)
        panels[0].links.append(Link(str(_("客户分类分级")), reverse("tiering-dashboard")))
        panels[0].links.append(Link(str(_("级别迁移")), reverse("tiering-migration")))
        if user.has_perm("tiering.view_tierpolicy"):
            panels[0].links.append(Link(str(_("分级策略")), reverse("tiering-policies")))
    return panels
