"""Identity, the one public door: what the API, the pages, the CLI, the tests and the other areas use of sign-in,
passwords, second factors, users and roles, re-exported from the modules that do the work.

- ``actors``: the company a slug names, a user's Actor, sign-in's answer (``SignIn``) and refusal;
- ``signin``: ``authenticate`` with its throttle per account and per address;
- ``passwords``: hashing, changing and resetting a password;
- ``totp``: the second factor (set-up, confirmation, the check at sign-in) and the cipher for secrets at rest;
- ``users``: users and roles, a person's own language, unlocking an account;
- ``sessions`` (not re-exported): sessions and tokens; ``tenants``: the company's settings; ``queries``: reads.
"""

from __future__ import annotations

from ops_db.identity.actors import AuthenticationFailed, SignIn, actor_of, load_actor, resolve_tenant
from ops_db.identity.passwords import change_password, hash_password, reset_password
from ops_db.identity.signin import FIRST_DELAY, LONGEST_DELAY, SignInThrottled, authenticate
from ops_db.identity.totp import confirm_totp, enroll_totp, fernet, has_second_factor
from ops_db.identity.users import create_user, grant_roles, set_language, unlock_user

__all__ = [
    "FIRST_DELAY",
    "LONGEST_DELAY",
    "AuthenticationFailed",
    "SignIn",
    "SignInThrottled",
    "actor_of",
    "authenticate",
    "change_password",
    "confirm_totp",
    "create_user",
    "enroll_totp",
    "fernet",
    "grant_roles",
    "has_second_factor",
    "hash_password",
    "load_actor",
    "reset_password",
    "resolve_tenant",
    "set_language",
    "unlock_user",
]
