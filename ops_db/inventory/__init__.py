"""Parts, stock locations and levels, the movement ledger, reservations, transfers, purchasing."""
