"""PostgreSQL behind the service layer's ports: tables, repositories, the unit of work."""
