"""Warranties per equipment and per repair, and claims against them."""
