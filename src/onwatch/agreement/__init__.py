"""The published reliability agreement: what was agreed, in plain words, and how it stands.

:mod:`~onwatch.agreement.phrases` turns objectives into sentences,
:mod:`~onwatch.agreement.document` assembles the whole agreement with the
standing against every number, and :mod:`~onwatch.agreement.render` writes it
as Markdown or HTML (for ``onwatch agreement`` and the ``/agreement`` page).
"""
