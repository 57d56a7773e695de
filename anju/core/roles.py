"""Roles (SPEC §0), how far each one sees (ORG-2), and what each may do.

Kept in the kernel because both the scope mechanism and every app's permission checks read
this one table; `org.RoleAssignment` records who holds which role where.
"""

from enum import IntEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES_CONSULTANT = "sales_consultant", _("Sales consultant")  # 置业顾问
    SALES_MANAGER = "sales_manager", _("Sales manager")  # 销售经理
    SERVICE_AGENT = "service_agent", _("Service agent")  # 客服专员
    SERVICE_MANAGER = "service_manager", _("Service manager")  # 客服经理
    CALLCENTRE_AGENT = "callcentre_agent", _("Call-centre agent")  # 呼叫中心坐席
    ENGINEER = "engineer", _("Engineer")  # 工程师
    PROPERTY_STEWARD = "property_steward", _("Property steward")  # 物业管家
    KEY_ACCOUNT_REP = "key_account_rep", _("Key-account rep")  # 大客户专员
    COMPANY_MANAGEMENT = "company_management", _("Company management")  # 城市公司管理层
    GROUP_CENTRE = "group_centre", _("Group relations centre")  # 集团客户关系中心
    DATA_STEWARD = "data_steward", _("Data steward")  # 客户信息管理专员
    ADMINISTRATOR = "administrator", _("Administrator")  # 系统管理员


class ScopeLevel(IntEnum):
    """How much of the business a role assignment opens up (ORG-2)."""

    OWN = 1  # records the user owns; for records without an owner, the assigned projects
    PROJECT = 2  # the assigned project(s)
    COMPANY = 3  # the whole city company
    ALL = 4  # every company of the group


ROLE_SCOPE = {
    Role.SALES_CONSULTANT: ScopeLevel.OWN,
    Role.KEY_ACCOUNT_REP: ScopeLevel.OWN,
    Role.SALES_MANAGER: ScopeLevel.PROJECT,
    Role.ENGINEER: ScopeLevel.PROJECT,
    Role.PROPERTY_STEWARD: ScopeLevel.PROJECT,
    Role.SERVICE_AGENT: ScopeLevel.COMPANY,
    Role.SERVICE_MANAGER: ScopeLevel.COMPANY,
    Role.CALLCENTRE_AGENT: ScopeLevel.COMPANY,
    Role.COMPANY_MANAGEMENT: ScopeLevel.COMPANY,
    Role.DATA_STEWARD: ScopeLevel.COMPANY,
    Role.GROUP_CENTRE: ScopeLevel.ALL,
    Role.ADMINISTRATOR: ScopeLevel.ALL,
}

# Roles whose assignment must name a project (they see by project, or own within projects).
PROJECT_BOUND_ROLES = frozenset(r for r, lvl in ROLE_SCOPE.items() if lvl <= ScopeLevel.PROJECT)


class Perm(models.TextChoices):
    """Actions that need more than seeing the record. Checked in services, never in templates."""

    MANAGE_INVENTORY = "manage_inventory", _("Manage buildings, units and prices")
    UNMASK_PERSONAL_DATA = "unmask_personal_data", _("See phone and ID numbers in full")
    EXPORT_DATA = "export_data", _("Export lists")
    REASSIGN_CUSTOMERS = "reassign_customers", _("Reassign customers between consultants")
    APPROVE_DISCOUNT = "approve_discount", _("Approve discounts beyond a consultant's authority")
    APPROVE_SALES_CHANGE = "approve_sales_change", _("Approve sales changes")
    APPROVE_SOLUTION = "approve_solution", _("Approve complaint solutions")
    MANAGE_ORG = "manage_org", _("Manage companies, projects and staff")
    VIEW_REPORTS = "view_reports", _("View team and company reports")
    # SEC-2 (PIPL): a customer's data package, deciding erasure requests, retention policy.
    PERSONAL_DATA_REQUESTS = "personal_data_requests", _("Handle personal-data requests")
    REQUEST_ERASURE = "request_erasure", _("Request a customer's erasure")
    VIEW_ACCESS_LOG = "view_access_log", _("Read the personal-data access log")
    # Reception (SAL-1/3, issue 9 item 5): the sales team receives visitors; the call centre
    # answers the hotline too. Engineers, stewards and service staff do neither.
    LOG_CALLS = "log_calls", _("Log sales calls")
    LOG_VISITS = "log_visits", _("Register sales visits")
    # Membership club and messaging (issue 11, MEM-*, MSG-*).
    MANAGE_MEMBERSHIP = "manage_membership", _("Configure tiers and gifts, correct points")
    APPROVE_TIER_CHANGE = "approve_tier_change", _("Approve manual tier changes")
    REDEEM_POINTS = "redeem_points", _("Record points redemptions")
    MANAGE_EVENTS = "manage_events", _("Run community events and lectures")
    MANAGE_TEMPLATES = "manage_templates", _("Edit message templates")
    RUN_CAMPAIGNS = "run_campaigns", _("Prepare and send message campaigns")
    APPROVE_CAMPAIGN = "approve_campaign", _("Approve message campaigns")
    # Deals (issue 12, QUE-1, SUB-*): the sales team issues numbers and subscribes units;
    # managers set discounts, authority and agreement templates and record payments.
    SELL_UNITS = "sell_units", _("Issue queue numbers and subscribe units")
    MANAGE_PRICING = "manage_pricing", _("Configure discounts, authority and agreements")
    RECORD_PAYMENTS = "record_payments", _("Record payments and refunds")
    # Customer service (issue 13, SVC-*): the desk receives, judges, assigns, revisits and
    # closes tickets; a ticket's responsible person works his own ticket whatever his role.
    HANDLE_TICKETS = "handle_tickets", _("Receive and handle service tickets")
    MANAGE_SERVICE = "manage_service", _("Configure time limits and the service desk")
    # Satisfaction surveys (SUR-*): the service side runs them and asks on the phone.
    RUN_SURVEYS = "run_surveys", _("Prepare, open and close satisfaction surveys")
    TAKE_SURVEYS = "take_surveys", _("Take survey answers on the phone")
    MANAGE_QUESTIONNAIRES = "manage_questionnaires", _("Revise the group's questionnaires")


_P = Perm
RECEPTION = {Perm.LOG_CALLS, Perm.LOG_VISITS}
SERVICE_DESK = {Perm.HANDLE_TICKETS}
SELLING = {Perm.SELL_UNITS}
DEALS_MANAGER = {Perm.SELL_UNITS, Perm.MANAGE_PRICING, Perm.RECORD_PAYMENTS}
# Who runs the customer club (万客会) and its messages: the service side runs it, sales
# enrol members and hand out gifts at the sales office, managers approve (issue 11).
CLUB_DESK = {Perm.REDEEM_POINTS}
CLUB_STAFF = {Perm.REDEEM_POINTS, Perm.MANAGE_EVENTS, Perm.RUN_CAMPAIGNS}
CLUB_MANAGER = {
    *CLUB_STAFF,
    Perm.MANAGE_MEMBERSHIP,
    Perm.APPROVE_TIER_CHANGE,
    Perm.MANAGE_TEMPLATES,
    Perm.APPROVE_CAMPAIGN,
}
SURVEYS = {Perm.RUN_SURVEYS, Perm.TAKE_SURVEYS}
ROLE_PERMS = {
    Role.SALES_CONSULTANT: {*RECEPTION, *CLUB_DESK, *SELLING},
    Role.KEY_ACCOUNT_REP: {*RECEPTION, *CLUB_DESK, *SELLING},
    Role.SALES_MANAGER: {
        *RECEPTION,
        *DEALS_MANAGER,
        *CLUB_STAFF,
        _P.MANAGE_TEMPLATES,
        _P.APPROVE_CAMPAIGN,
        _P.UNMASK_PERSONAL_DATA,
        _P.EXPORT_DATA,
        _P.REASSIGN_CUSTOMERS,
        _P.APPROVE_DISCOUNT,
        _P.APPROVE_SALES_CHANGE,
        _P.VIEW_REPORTS,
        _P.MANAGE_INVENTORY,
    },
    Role.SERVICE_AGENT: {*CLUB_STAFF, *SERVICE_DESK, _P.TAKE_SURVEYS},
    Role.SERVICE_MANAGER: {
        *CLUB_MANAGER,
        *SERVICE_DESK,
        *SURVEYS,
        _P.MANAGE_SERVICE,
        _P.APPROVE_SOLUTION,
        _P.EXPORT_DATA,
        _P.VIEW_REPORTS,
        _P.REQUEST_ERASURE,
    },
    Role.CALLCENTRE_AGENT: {_P.LOG_CALLS, *SERVICE_DESK, _P.TAKE_SURVEYS},
    Role.ENGINEER: {*SERVICE_DESK},
    Role.PROPERTY_STEWARD: {*SERVICE_DESK},
    Role.COMPANY_MANAGEMENT: {
        *CLUB_MANAGER,
        *SERVICE_DESK,
        *SURVEYS,
        _P.MANAGE_SERVICE,
        *DEALS_MANAGER,
        _P.UNMASK_PERSONAL_DATA,
        _P.EXPORT_DATA,
        _P.REASSIGN_CUSTOMERS,
        _P.APPROVE_DISCOUNT,
        _P.APPROVE_SALES_CHANGE,
        _P.APPROVE_SOLUTION,
        _P.VIEW_REPORTS,
        _P.MANAGE_INVENTORY,
        _P.REQUEST_ERASURE,
    },
    Role.GROUP_CENTRE: {
        *CLUB_MANAGER,
        *SERVICE_DESK,
        *SURVEYS,
        _P.MANAGE_QUESTIONNAIRES,  # group-wide, so that companies' figures compare
        _P.EXPORT_DATA,
        _P.VIEW_REPORTS,
        _P.APPROVE_SOLUTION,
    },
    Role.DATA_STEWARD: {
        _P.UNMASK_PERSONAL_DATA,
        _P.EXPORT_DATA,
        _P.REASSIGN_CUSTOMERS,
        _P.PERSONAL_DATA_REQUESTS,
        _P.REQUEST_ERASURE,
        _P.VIEW_ACCESS_LOG,
    },
    Role.ADMINISTRATOR: {
        _P.MANAGE_ORG,
        _P.MANAGE_INVENTORY,
        _P.EXPORT_DATA,
        _P.VIEW_REPORTS,
        _P.PERSONAL_DATA_REQUESTS,
        _P.REQUEST_ERASURE,
        _P.VIEW_ACCESS_LOG,
    },
}
ROLE_PERMS = {role: frozenset(perms) for role, perms in ROLE_PERMS.items()}
