"""Projections: pure folds of the event log into views, kept by a catch-up runner.

- ``PlanView``: the whole plan and its interventions (never shown as it is);
- ``CitizenView``: each citizen's consents, by which every sector view is filtered;
- ``sector_view``: the plan as one sector may see it, under consent, when read;
- the citizen's own plan document, caseloads, citizen journeys and the access log.
"""

from typing import Any

from oneplan.projections.access_log import AccessEntry, AccessLogState, AccessLogView
from oneplan.projections.audit_index import AuditIndexView, AuditStreams
from oneplan.projections.base import Fold, Projection, Route, codec
from oneplan.projections.caseload import Caseload, CaseloadState, CaseloadView, caseload
from oneplan.projections.citizen_plan import DocumentFormat, Language, render_citizen_plan
from oneplan.projections.citizen_view import CitizenState, CitizenView
from oneplan.projections.journey import JourneyState, JourneyView
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.projections.runner import ProjectionRunner
from oneplan.projections.sector_view import AllowedBy, SectorView, Shown, sector_view
from oneplan.projections.stores import MemoryViewStore, ViewStore

__all__ = [
    "VIEWS",
    "AccessEntry",
    "AccessLogState",
    "AccessLogView",
    "AllowedBy",
    "AuditIndexView",
    "AuditStreams",
    "Caseload",
    "CaseloadState",
    "CaseloadView",
    "CitizenState",
    "CitizenView",
    "DocumentFormat",
    "Fold",
    "JourneyState",
    "JourneyView",
    "Language",
    "MemoryViewStore",
    "PlanState",
    "PlanView",
    "Projection",
    "ProjectionRunner",
    "Route",
    "SectorView",
    "Shown",
    "ViewStore",
    "caseload",
    "codec",
    "render_citizen_plan",
    "sector_view",
]

VIEWS: list[type[Projection[Any]]] = [
    PlanView,
    CitizenView,
    CaseloadView,
    JourneyView,
    AccessLogView,
    AuditIndexView,
]
"""Every view the runner keeps, besides its own index of routes."""
