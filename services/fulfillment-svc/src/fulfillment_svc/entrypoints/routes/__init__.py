"""HTTP routes: parse the request, build a command, run it, answer. No SQL and no business rule here."""
