"""The Russian edition, made by machine from the English one: messages extracted into gettext
catalogs (`catalogs`), Russian notebooks generated from the English ones and the catalogs
(`edition`), and the checks that nothing drifted. ``python -m lessonlib.translation``; see
``locale/README.md``."""
