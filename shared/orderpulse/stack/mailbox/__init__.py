"""The local stack's mail and SMS sink: an SMTP server and an HTTP receiver that keep what they get.

`python -m orderpulse.stack.mailbox` runs both in one process (`orderpulse up` spawns it before
the services). Mail lands in `<state>/mail/<n>.eml`, SMS and webhooks in `<state>/sms/<n>.json`;
`orderpulse mail` and the page at `GET /` show them.
"""
