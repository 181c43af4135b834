"""Demo data for trying Kesher: a small Israeli company with its customers, loaded by
``manage.py load_demo`` (``./bin/kesher start`` runs it once).

``names`` holds the word lists, ``plan`` turns a seed into plain data (no database), and
``loader`` writes that data through the services, so demo records are validated, normalized,
audited and indexed for search exactly like records people type in. ``story`` (its words in
``story_text``) gives every demo user a working week dated from the day the demo is loaded.
"""
