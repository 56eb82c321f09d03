"""Reads for the tracker screens, the alert list and the calendar feed (issue #5), one module per
screen: `tracker`, `dashboard` (team manager), `weekly` (head of service), `alerts`, `calendar`;
what they share with the filter form is `deadlines/screens.py`. Import from the screen's module.

Every selector here runs a fixed number of queries whatever the number of rows: one query with
subquery annotations for the episodes, then one flat read per related table, joined in Python
in a single pass. No model instances are built for the big tables (2,000 episodes render in well
under the 500 ms budget; see docs/benchmarks.md). The tracker's episodes come through the scope
(`episodes_visible_to`) as a queryset; its per-episode figures are constant SQL subqueries on
the episode's own id, and the detail reads take the ids that query returned (issue 14: the ORM
spent longer assembling them than PostgreSQL took to run them).
"""
