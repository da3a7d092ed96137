"""Dispatch optimizer: daily technician assignments and routes with OR-Tools. Pure: no database access.

``solve(problem, time_limit, seed)`` returns a :class:`Plan`; ``baseline(problem)`` is the greedy
plan a dispatcher would make by hand; ``check(plan)`` is an independent feasibility checker.
"""

from optimizer.baseline import baseline
from optimizer.check import check
from optimizer.explain import Explanation
from optimizer.plan import BreakTaken, Kpis, Pickup, Plan, Reason, Route, Unassigned, Visit
from optimizer.problem import Break, Job, Location, Priority, Problem, Technician, TimeWindow, Warehouse, Weights
from optimizer.solve import solve
from optimizer.travel import EuclideanTravel, HaversineTravel, TravelProvider

__all__ = [
    "Break",
    "BreakTaken",
    "EuclideanTravel",
    "Explanation",
    "HaversineTravel",
    "Job",
    "Kpis",
    "Location",
    "Pickup",
    "Plan",
    "Priority",
    "Problem",
    "Reason",
    "Route",
    "Technician",
    "TimeWindow",
    "TravelProvider",
    "Unassigned",
    "Visit",
    "Warehouse",
    "Weights",
    "baseline",
    "check",
    "solve",
]
