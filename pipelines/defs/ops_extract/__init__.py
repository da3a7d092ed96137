"""Extract assets: operational tables copied into the warehouse's ``raw`` schema."""
