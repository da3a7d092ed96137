"""Free warehouse stock drawn by pickups: shared by the baseline, the decomposition and the checker."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from optimizer.problem import Job, Problem


def draws(job: Job, warehouse_id: str) -> Mapping[str, int]:
    """Parts a pickup for this job takes from the warehouse's free stock (none if reserved for it)."""
    return {} if job.parts_reserved_at == warehouse_id else job.required_parts


class FreeStock:
    """What is left in each warehouse's free stock as pickups are planned."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.left = [dict(w.stock) for w in problem.warehouses]

    def can_take(self, j: int, w: int) -> bool:
        """Whether a pickup at warehouse w for job j still fits the free stock."""
        need = draws(self.problem.jobs[j], self.problem.warehouses[w].id)
        return all(self.left[w].get(p, 0) >= q for p, q in need.items())

    def take(self, j: int, w: int) -> None:
        """Record a pickup at warehouse w for job j."""
        for part, qty in draws(self.problem.jobs[j], self.problem.warehouses[w].id).items():
            self.left[w][part] = self.left[w].get(part, 0) - qty

    def take_all(self, pickups: Iterable[tuple[int, int]]) -> None:
        """Record many (job, warehouse) pickups."""
        for j, w in pickups:
            self.take(j, w)

    def overdrawn(self) -> list[str]:
        """One sentence per part a warehouse would have to give more of than it has."""
        return [
            f"warehouse {self.problem.warehouses[w].id} gives {-q} x {p} more than its free stock"
            for w, left in enumerate(self.left)
            for p, q in left.items()
            if q < 0
        ]
