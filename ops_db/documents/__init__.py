"""Documents RepairOps hands to people: PDF layout with the tenant's branding, and the documents built on it."""
