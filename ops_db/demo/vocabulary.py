"""The fixed words the demo company is made of: roles and staff, skills and makers, faults, names, priorities."""

from __future__ import annotations

from decimal import Decimal

DEMO_PASSWORD = "demo-pass-2026"
CENTER = (41.8781, -87.6298)  # the city the customers and technicians live around (Chicago)
TIME_ZONE = "America/Chicago"  # where the company works: its days, shifts and "today"
ROLES = ["admin", "manager", "dispatcher", "front_desk", "technician", "inventory", "finance", "customer", "auditor"]
STAFF = [
    ("admin", "Alex Admin"),
    ("manager", "Morgan Manager"),
    ("dispatcher", "Dana Dispatcher"),
    ("front_desk", "Frankie Desk"),
    ("inventory", "Ivan Stock"),
    ("finance", "Fiona Finance"),
    ("auditor", "Avery Auditor"),
]
SKILLS = [
    ("phone", "Phone repair"),
    ("laptop", "Laptop repair"),
    ("tv", "TV and AV"),
    ("appliance", "Home appliances"),
    ("hvac", "Heating and cooling"),
    ("printer", "Printers"),
    ("console", "Game consoles"),
    ("board", "Board-level soldering"),
]
CATEGORIES = {
    "phone": ["Apple", "Samsung", "Google"],
    "laptop": ["Lenovo", "Dell", "HP"],
    "tv": ["LG", "Sony"],
    "appliance": ["Bosch", "Whirlpool"],
    "hvac": ["Carrier", "Daikin"],
    "printer": ["Brother", "Canon"],
    "console": ["Sony", "Nintendo"],
}
FAULTS = [
    "no_power",
    "broken_screen",
    "water_damage",
    "battery",
    "noise",
    "overheating",
    "no_signal",
    "leak",
    "error_code",
    "mechanical",
]
FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofia",
    "Lucas",
    "Mia",
    "Ivan",
    "Anna",
    "Wei",
    "Li",
    "Joao",
    "Maria",
    "Aisha",
    "Omar",
    "Chloe",
    "Ethan",
    "Zoe",
]
LAST = [
    "Smith",
    "Garcia",
    "Kowalski",
    "Nguyen",
    "Ivanova",
    "Silva",
    "Chen",
    "Brown",
    "Okafor",
    "Rossi",
    "Müller",
    "Haddad",
    "Johnson",
    "Petrov",
    "Santos",
    "Wang",
]
PRIORITIES = [("emergency", 2), ("high", 13), ("normal", 70), ("low", 15)]
TAX_PCT = Decimal("8.250")
EXPENSE_CATEGORIES = ("Rent", "Utilities", "Fuel")
