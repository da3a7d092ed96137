"""Service requests, service orders, lines, events, notes, attachments, sign-offs, ratings."""
