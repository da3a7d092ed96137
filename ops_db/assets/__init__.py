"""Manufacturers, equipment models, customer equipment, meter readings."""
