"""Projections: pure folds of the event log into views (sector views, the citizen's
plan, caseloads, journeys, audit trail). Arriving with the projections issue."""

__all__: list[str] = []
