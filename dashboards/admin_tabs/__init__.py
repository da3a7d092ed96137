"""The Admin page's tabs, one module each with a ``show`` function; ``app_pages/admin.py`` composes them."""
