"""The RepairOps command line: the composition root that wires database, pipelines, optimizer and UI."""
