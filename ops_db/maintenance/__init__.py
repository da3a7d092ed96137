"""Preventive maintenance plans that generate service orders when due."""
