"""Builds and runs the OR-Tools routing model. Solver objects never leave this module.

Nodes: technician starts and ends (place indices 0..2T-1) followed by the *stops* of the jobs kept
by the precheck, in an order shuffled by the seed (the seed changes the search path, not the model).
A job that needs parts has one stop per way of getting them: from the van, and through each
warehouse that can supply them, whose incoming arcs run through the warehouse and include the
pickup time; a disjunction lets at most one stop of a job be served. Free warehouse stock shared by
several jobs is a linear constraint on the stops' active variables.
Service time sits in the time transit of the node it leaves; technicians whose service times
agree share one transit matrix, so level-dependent durations stay cheap.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.eligibility import Eligibility, duration, needs_parts
from optimizer.plan import span_coefficient
from optimizer.problem import Problem
from optimizer.stock import draws

FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic


@dataclass(frozen=True)
class RawRoute:
    """A route read back from the solver: job indices, service starts, the break, and pickups.

    ``via`` gives, per job, the warehouse (index) its parts are picked up at, or None (from the van);
    empty means None for every job.
    """

    tech: int
    jobs: tuple[int, ...]
    departure: int
    starts: tuple[int, ...]
    arrival_back: int
    lunch_start: int | None
    via: tuple[int | None, ...] = ()

    def via_map(self) -> dict[int, int]:
        """Job -> warehouse for the jobs whose parts are picked up."""
        return {j: w for j, w in zip(self.jobs, self.via, strict=False) if w is not None}


@dataclass(frozen=True)
class RawSolution:
    """The solver's answer in plain data."""

    routes: tuple[RawRoute, ...]
    objective: int


@dataclass(frozen=True)
class SearchSettings:
    """One search: first solution strategy, metaheuristic, limits."""

    first_solution: int = FSS.PARALLEL_CHEAPEST_INSERTION
    metaheuristic: int = LSM.GUIDED_LOCAL_SEARCH
    time_limit: float = 1.0
    solution_limit: int | None = None
    first_solution_only: bool = False
    # Bounded by work: the solution limit ends the search, and no step inside it is cut short by the clock
    # (``time_limit`` stays a hard cap), so a busy machine finds the same plan as an idle one, only later.
    by_work: bool = False


class RoutingModel:
    """The OR-Tools model of one problem; build once, search one or more times."""

    def __init__(self, problem: Problem, elig: Eligibility, seed: int) -> None:
        self.problem = problem
        self.m = problem.matrix
        jobs = elig.servable()
        random.Random(seed).shuffle(jobs)
        self.jobs: list[int] = []  # per stop: its job
        self.via: list[int | None] = []  # per stop: the warehouse it goes through, if any
        self.allowed: list[tuple[int, ...]] = []  # per stop: the technicians who may serve it
        for j in jobs:
            van = tuple(t for t in elig.techs[j] if elig.from_van(j, t))
            ways: list[tuple[int | None, tuple[int, ...]]] = [(None, van)] if van else []
            ways += [(w, elig.techs[j]) for w in elig.warehouses(j)]
            for w, techs in ways:
                self.jobs.append(j)
                self.via.append(w)
                self.allowed.append(techs)
        self.n_techs = len(problem.technicians)
        self.places = list(range(2 * self.n_techs)) + [self.m.job(j) for j in self.jobs]
        self.manager = pywrapcp.RoutingIndexManager(
            len(self.places),
            self.n_techs,
            list(range(self.n_techs)),
            list(range(self.n_techs, 2 * self.n_techs)),
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.breaks: dict[int, pywrapcp.IntervalVar] = {}
        self._build()

    def _node(self, k: int) -> int:
        """Node of the k-th model job."""
        return 2 * self.n_techs + k

    def _build(self) -> None:
        w = self.problem.weights
        travel, dist, pickup = self._arcs()
        cost = w.travel_per_second * (travel + pickup[None, :]) + w.distance_per_metre * dist
        cost_cb = self.routing.RegisterTransitMatrix(cost.tolist())
        self.routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
        if w.vehicle_fixed_cost:
            self.routing.SetFixedCostOfAllVehicles(w.vehicle_fixed_cost)
        self._time_dimension(travel, pickup)
        self._restrict_vehicles()
        self._disjunctions()
        self._travel_dimension(travel)
        self._load_dimensions()
        self._warehouse_stock()

    def _arcs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Travel seconds and metres between nodes (through the warehouse into a pickup stop), and
        the pickup seconds spent on the way into each node."""
        m, places = self.m, self.places
        travel = m.durations[np.ix_(places, places)]
        dist = m.distances[np.ix_(places, places)]
        pickup = np.zeros(len(places), dtype=np.int64)
        for k, w in enumerate(self.via):
            if w is None:
                continue
            node, house, job = self._node(k), m.warehouse(w), places[self._node(k)]
            travel[:, node] = m.durations[places, house] + m.durations[house, job]
            dist[:, node] = m.distances[places, house] + m.distances[house, job]
            pickup[node] = self.problem.warehouses[w].pickup_time
        return travel, dist, pickup

    def _service_classes(self) -> tuple[list[np.ndarray], list[int]]:
        """Service duration vectors over nodes, merged where technicians agree on shared jobs."""
        n = len(self.places)
        classes: list[np.ndarray] = []
        class_of: list[int] = []
        for t, tech in enumerate(self.problem.technicians):
            row = np.full(n, -1, dtype=np.int64)
            row[: 2 * self.n_techs] = 0
            for k, j in enumerate(self.jobs):
                if t in self.allowed[k]:
                    row[self._node(k)] = duration(tech, self.problem.jobs[j])
            for c, rep in enumerate(classes):
                if np.all((rep == row) | (rep < 0) | (row < 0)):
                    classes[c] = np.where(rep < 0, row, rep)
                    class_of.append(c)
                    break
            else:
                classes.append(row)
                class_of.append(len(classes) - 1)
        return [np.maximum(c, 0) for c in classes], class_of

    def _time_dimension(self, travel: np.ndarray, pickup: np.ndarray) -> None:
        problem, routing, w = self.problem, self.routing, self.problem.weights
        services, class_of = self._service_classes()
        moving = travel + pickup[None, :]
        callbacks = [routing.RegisterTransitMatrix((moving + s[:, None]).tolist()) for s in services]
        horizon = max([t.latest_end for t in problem.technicians] + [1])
        routing.AddDimensionWithVehicleTransits([callbacks[c] for c in class_of], horizon, horizon, False, "time")
        self.time = routing.GetDimensionOrDie("time")
        for t, tech in enumerate(problem.technicians):
            start, end = routing.Start(t), routing.End(t)
            self.time.CumulVar(start).SetRange(tech.shift_start, tech.latest_end)
            self.time.CumulVar(end).SetRange(tech.shift_start, tech.latest_end)
            if tech.max_overtime:
                self.time.SetCumulVarSoftUpperBound(end, tech.shift_end, w.overtime_per_second)
            if tech.max_work_time is not None:
                self.time.SetSpanUpperBoundForVehicle(tech.max_work_time, t)
            coef = span_coefficient(w.span_per_second_per_1000_cents, tech.hourly_cost_cents)
            if coef:
                self.time.SetSpanCostCoefficientForVehicle(coef, t)
            if tech.lunch is not None:
                self._add_break(t, services[class_of[t]])
            # waiting at home before leaving is free; prefer leaving late rather than idling on site
            routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(start))
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(end))
        if w.balance_per_second:
            self.time.SetGlobalSpanCostCoefficient(w.balance_per_second)
        self._job_times()

    def _add_break(self, t: int, service: np.ndarray) -> None:
        lunch = self.problem.technicians[t].lunch
        assert lunch is not None
        solver = self.routing.solver()
        interval = solver.FixedDurationIntervalVar(
            lunch.earliest_start, lunch.latest_start, lunch.duration, False, f"lunch {t}"
        )
        visit = [int(service[self.manager.IndexToNode(i)]) for i in range(self.routing.Size())]
        visit += [0] * (self.routing.Size() + self.n_techs * 2 - len(visit))
        self.time.SetBreakIntervalsOfVehicle([interval], t, visit)
        self.breaks[t] = interval

    def _job_times(self) -> None:
        w = self.problem.weights
        for k, j in enumerate(self.jobs):
            job = self.problem.jobs[j]
            cumul = self.time.CumulVar(self.manager.NodeToIndex(self._node(k)))
            windows = job.allowed_starts()
            if windows:
                cumul.SetRange(windows[0].start, windows[-1].end)
                for a, b in itertools.pairwise(windows):
                    if b.start > a.end + 1:
                        cumul.RemoveInterval(a.end + 1, b.start - 1)
            if job.sla_deadline is not None and w.sla_late_per_second:
                self.time.SetCumulVarSoftUpperBound(
                    self.manager.NodeToIndex(self._node(k)), job.sla_deadline, w.sla_late_per_second
                )

    def _restrict_vehicles(self) -> None:
        for k, techs in enumerate(self.allowed):
            if len(techs) < self.n_techs:
                # VehicleVar -1 means "not performed"; the job stays droppable through its disjunction.
                # (SetAllowedVehiclesForIndex's Span argument does not bind in this OR-Tools build.)
                self.routing.VehicleVar(self.manager.NodeToIndex(self._node(k))).SetValues([-1, *techs])

    def _disjunctions(self) -> None:
        penalties = self.problem.weights.drop_penalty
        top = max(penalties.values())
        stops: dict[int, list[int]] = {}
        for k, j in enumerate(self.jobs):
            stops.setdefault(j, []).append(self.manager.NodeToIndex(self._node(k)))
        for j, indices in stops.items():
            job = self.problem.jobs[j]
            # fixed jobs are practically mandatory; a penalty (not a hard rule) keeps the model solvable
            penalty = 100 * top if job.fixed else penalties[job.priority]
            self.routing.AddDisjunction(indices, penalty, 1)

    def _travel_dimension(self, travel: np.ndarray) -> None:
        caps = [t.max_travel_time for t in self.problem.technicians]
        if all(c is None for c in caps):
            return
        big = int(travel.sum()) + 1
        cb = self.routing.RegisterTransitMatrix(travel.tolist())
        self.routing.AddDimensionWithVehicleCapacity(cb, 0, [big if c is None else c for c in caps], True, "travel")

    def _load_dimensions(self) -> None:
        """One capacity dimension per contended part, and one for load (Solomon demand)."""
        techs = self.problem.technicians
        jobs = [self.problem.jobs[j] for j in self.jobs]
        from_van = [w is None and needs_parts(job) for w, job in zip(self.via, jobs, strict=True)]
        parts = sorted({p for job, van in zip(jobs, from_van, strict=True) if van for p in job.required_parts})
        for part in parts:
            demand = [job.required_parts.get(part, 0) if van else 0 for job, van in zip(jobs, from_van, strict=True)]
            stock = [t.van_stock.get(part, 0) for t in techs]
            need = [
                sum(d for d, allowed in zip(demand, self.allowed, strict=True) if v in allowed)
                for v in range(len(techs))
            ]
            if all(s >= n for s, n in zip(stock, need, strict=True)):
                continue  # no van can run short of this part, so no dimension is needed
            self._unary_dimension(demand, stock, f"part {part}")
        if any(job.demand for job in jobs):
            big = sum(job.demand for job in jobs)
            capacity = [big if t.capacity is None else t.capacity for t in techs]
            self._unary_dimension([job.demand for job in jobs], capacity, "load")

    def _warehouse_stock(self) -> None:
        """Pickups from one warehouse's free stock may not take more of a part than it holds."""
        solver = self.routing.solver()
        for w, house in enumerate(self.problem.warehouses):
            taken: dict[str, list[tuple[int, int]]] = {}
            for k, (j, via) in enumerate(zip(self.jobs, self.via, strict=True)):
                if via == w:
                    for part, qty in draws(self.problem.jobs[j], house.id).items():
                        taken.setdefault(part, []).append((self.manager.NodeToIndex(self._node(k)), qty))
            for part, uses in taken.items():
                if sum(q for _, q in uses) > house.stock.get(part, 0):
                    active = [self.routing.ActiveVar(i) for i, _ in uses]
                    solver.Add(solver.ScalProd(active, [q for _, q in uses]) <= house.stock.get(part, 0))

    def _unary_dimension(self, demand: Sequence[int], capacity: Sequence[int], name: str) -> None:
        vector = [0] * (2 * self.n_techs) + list(demand)
        cb = self.routing.RegisterUnaryTransitVector(vector)
        self.routing.AddDimensionWithVehicleCapacity(cb, 0, list(capacity), True, name)

    def parameters(self, settings: SearchSettings) -> pywrapcp.RoutingSearchParameters:
        """Search parameters for one search (single thread, explicit limits)."""
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = settings.first_solution
        params.local_search_metaheuristic = settings.metaheuristic
        params.time_limit.FromMilliseconds(max(1, int(settings.time_limit * 1000)))
        if settings.by_work:  # an LNS completion is otherwise cut at 100 ms, which a busy machine may need
            params.lns_time_limit.FromMilliseconds(max(1, int(settings.time_limit * 1000)))
        if settings.first_solution_only:
            params.solution_limit = 1
        elif settings.solution_limit is not None:
            params.solution_limit = settings.solution_limit
        params.log_search = False
        # The LP/MIP cumul scheduler runs a CP-SAT portfolio whose answers vary from run to run (and it made
        # warm starts of days with breaks fail at random); plans are re-timed by ``timing.schedule`` anyway.
        params.disable_scheduling_beware_this_may_degrade_performance = True
        return params

    def search(self, settings: SearchSettings, start: RawSolution | None = None) -> RawSolution | None:
        """Run one search, optionally from a previous solution; None if nothing was found."""
        params = self.parameters(settings)
        if start is None:
            solution = self.routing.SolveWithParameters(params)
        else:
            began = time.monotonic()
            solution = self._restore(start, params, settings.time_limit)
            left = settings.time_limit - (time.monotonic() - began)
            if solution is not None and left > 0.01 and not settings.first_solution_only:
                params.time_limit.FromMilliseconds(max(1, int(left * 1000)))
                # completing each new solution costs about what completing the first did; bounded by work, a
                # completion may take what it needs, or a slow machine would drop neighbours a fast one keeps
                completion = left if settings.by_work else min(left, max(0.1, 2 * (settings.time_limit - left)))
                params.lns_time_limit.FromMilliseconds(int(completion * 1000))
                solution = self.routing.SolveFromAssignmentWithParameters(solution, params)
        if solution is None:  # read values only from a solution the solver vouches for
            return None
        return self._read(solution)

    def _restore(
        self, start: RawSolution, params: pywrapcp.RoutingSearchParameters, time_limit: float
    ) -> pywrapcp.Assignment | None:
        """A complete assignment from routes alone, or None if they break the model.

        Only the next-variables are given; the solver completes the rest (times, breaks) in a search
        capped by ``lns_time_limit``, 100 ms by default, which a day with dozens of technicians and
        breaks can need more than, so this first step gets the whole time limit.
        """
        self.routing.CloseModelWithParameters(params)
        routes = self.routing.solver().Assignment()
        indices = self._routes_as_indices(start)
        if indices is None or not self.routing.RoutesToAssignment(indices, True, True, routes):
            return None
        first = pywrapcp.DefaultRoutingSearchParameters()
        first.CopyFrom(params)
        first.solution_limit = 1
        first.lns_time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
        return self.routing.SolveFromAssignmentWithParameters(routes, first)

    def _routes_as_indices(self, solution: RawSolution) -> list[list[int]] | None:
        node_of = {(j, w): self._node(k) for k, (j, w) in enumerate(zip(self.jobs, self.via, strict=True))}
        routes = [[] for _ in range(self.n_techs)]  # type: list[list[int]]
        for route in solution.routes:
            via = route.via_map()
            stops = [(j, via.get(j)) for j in route.jobs]
            if any(stop not in node_of for stop in stops):
                return None
            routes[route.tech] = [self.manager.NodeToIndex(node_of[stop]) for stop in stops]
        return routes

    def _read(self, solution: pywrapcp.Assignment) -> RawSolution:
        routes = []
        container = solution.IntervalVarContainer()
        breaks = {}
        for i in range(container.Size()):
            element = container.Element(i)
            if element.PerformedValue():
                breaks[element.Var().Name()] = element.StartValue()
        for t in range(self.n_techs):
            index = self.routing.Start(t)
            departure = solution.Min(self.time.CumulVar(index))
            jobs, starts, via = [], [], []
            index = solution.Value(self.routing.NextVar(index))
            while not self.routing.IsEnd(index):
                stop = self.manager.IndexToNode(index) - 2 * self.n_techs
                jobs.append(self.jobs[stop])
                via.append(self.via[stop])
                starts.append(solution.Min(self.time.CumulVar(index)))
                index = solution.Value(self.routing.NextVar(index))
            back = solution.Min(self.time.CumulVar(index))
            lunch = breaks.get(f"lunch {t}") if jobs else None
            routes.append(RawRoute(t, tuple(jobs), departure, tuple(starts), back, lunch, tuple(via)))
        return RawSolution(tuple(routes), solution.ObjectiveValue())
